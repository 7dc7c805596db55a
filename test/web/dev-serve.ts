/**
 * Dev helper (not a test): web + api + stream co-located on one uWS app per service, on free
 * ports over a temp store. `npx tsx test/web/dev-serve.ts` prints the web URL; Ctrl-C stops.
 */
import { mountWeb } from '../../src/http/web/index.js';
import { startApp } from '../api/harness.js';

const app = await startApp([mountWeb], { only: ['web', 'api', 'stream'] });
console.log(`web listening on ${app.url}`);
const stop = () => void app.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
