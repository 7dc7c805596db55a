/** A pool task that returns at once: measures the piscina hop (bench/actors/hops.ts). */
import { defineTask } from '../../src/actors/pool-task.js';

export default defineTask((x: unknown) => x);
