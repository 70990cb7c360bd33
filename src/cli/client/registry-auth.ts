// The credentials a pull or push sends along, as the docker CLI sends them: the client resolves
// the user's login for the image's registry (docker config, credential helpers) and puts it in
// the request's X-Registry-Auth header, base64url JSON of an AuthConfig. The daemon uses it for
// that request only (src/daemon/server/registry-auth.ts).
import { DockerConfigKeychain } from '../../registry/keychain.js';

/** The header for a request to `registryHost` (as a reference's domain names it); none without a login. */
export async function registryAuthHeader(registryHost: string): Promise<Record<string, string>> {
  const credential = await new DockerConfigKeychain().resolve(registryHost);
  if (credential === undefined) return {};
  const config = {
    ...(credential.username === undefined ? {} : { username: credential.username }),
    ...(credential.password === undefined ? {} : { password: credential.password }),
    ...(credential.identityToken === undefined ? {} : { identitytoken: credential.identityToken }),
    ...(credential.registryToken === undefined ? {} : { registrytoken: credential.registryToken }),
    serveraddress: registryHost,
  };
  return { 'X-Registry-Auth': Buffer.from(JSON.stringify(config)).toString('base64url') };
}
