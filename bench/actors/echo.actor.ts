/** A thread actor that answers at once: measures the comlink round trip. */
import { exposeThreadActor } from '../../src/actors/index.js';

const api = { ping: (x: number) => x };
export type EchoApi = typeof api;
exposeThreadActor(api);
