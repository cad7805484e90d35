'use strict';
// node --require target of scripts/tslab-kernel: installs the per-socket send queue before tslab loads zeromq.
require('./send-queue.cjs').installKernelSendQueue();
