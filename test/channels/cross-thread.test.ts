import { CrossThreadChannel } from '../../src/channels/index.js';
import { describeChannelConformance } from './conformance.case.js';

// Same-thread runs of the shared suite: both directions through the shared-memory ring, wake-ups
// through Atomics.waitAsync. select cannot wait on cross-thread channels (ERR_UNSUPPORTED_CHANNEL).
// Wake-ups arrive as tasks, not microtasks: "has not happened" checks wait a little longer.
const settle = () => new Promise<void>((r) => setTimeout(r, 10));

describeChannelConformance('CrossThreadChannel', (capacity) => new CrossThreadChannel(capacity), {
  select: false,
  settle,
});

describeChannelConformance(
  'CrossThreadChannel (json codec)',
  (capacity) => new CrossThreadChannel({ capacity, codec: 'json' }),
  { select: false, settle, propertyRuns: 30 },
);
