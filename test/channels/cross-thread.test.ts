import { CrossThreadChannel } from '../../src/channels/index.js';
import { describeChannelConformance } from './conformance.case.js';
import { batchedView, bytesView, recordsView } from './cross-thread-views.js';

// Same-thread runs of the shared suite, once per codec and once through the batch API: both
// directions through the shared-memory ring, wake-ups through Atomics.waitAsync. select cannot
// wait on cross-thread channels (ERR_UNSUPPORTED_CHANNEL).
// Wake-ups arrive as tasks, not microtasks: "has not happened" checks wait a little longer.
const settle = () => new Promise<void>((r) => setTimeout(r, 10));
const opts = { select: false, settle, propertyRuns: 30 };

describeChannelConformance('CrossThreadChannel', (capacity) => new CrossThreadChannel(capacity), {
  select: false,
  settle,
});

describeChannelConformance(
  'CrossThreadChannel (json codec)',
  (capacity) => new CrossThreadChannel({ capacity, codec: 'json' }),
  opts,
);

describeChannelConformance(
  'CrossThreadChannel (f64 codec)',
  (capacity) => new CrossThreadChannel({ capacity, codec: 'f64', slotBytes: 8 }),
  opts,
);

describeChannelConformance(
  'CrossThreadChannel (bytes codec)',
  (capacity) =>
    bytesView(
      new CrossThreadChannel<Uint8Array>({ capacity, codec: 'bytes', slotBytes: 8 }),
    ) as never,
  opts,
);

describeChannelConformance(
  'CrossThreadChannel (f64 codec, batch operations)',
  (capacity) => batchedView(new CrossThreadChannel<number>({ capacity, codec: 'f64' })) as never,
  opts,
);

describeChannelConformance(
  'CrossThreadChannel (bytes codec, records operations)',
  (capacity) =>
    recordsView(
      new CrossThreadChannel<Uint8Array>({ capacity, codec: 'bytes', slotBytes: 8 }),
    ) as never,
  opts,
);

describeChannelConformance(
  'CrossThreadChannel (json codec, batch operations)',
  (capacity) => batchedView(new CrossThreadChannel<number>({ capacity, codec: 'json' })) as never,
  opts,
);
