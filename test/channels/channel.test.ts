import { Channel } from '../../src/channels/index.js';
import { describeChannelConformance } from './conformance.case.js';

// The in-thread channel runs the whole suite, select cases included.
describeChannelConformance('Channel', (capacity) => new Channel(capacity), {
  propertyRuns: 200,
});
