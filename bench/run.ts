// `npm run bench`: runs every benchmark in turn. Numbers go in the README with the machine.
import { benchParse } from './parse.bench.js';

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
benchParse();
