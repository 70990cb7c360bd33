// The registry client's import surface.
export {
  parseReference, parseNormalizedReference, withDefaultTag, formatReference, familiarName,
  repositoryName, registryHost, type Reference,
} from './reference.js';
export {
  DockerConfigKeychain, convertToHostname, credentialServerAddress, dockerHubServerAddress,
  type Credential, type Keychain, type DockerConfigKeychainOptions,
} from './keychain.js';
export { dockerConfigPath, type DockerConfig, type AuthEntry } from './config-file.js';
export { CredentialHelper, type HelperCredential, type CredentialHelperOptions } from './cred-helper.js';
export { RegistryClient, type RegistryClientOptions, type TargetOptions } from './client.js';
export { parseChallenges, preferredChallenge, type Challenge } from './challenge.js';
