'use strict';
/**
 * Preloaded into the tslab kernel (scripts/tslab-kernel: node --require) to make its zeromq sends safe.
 *
 * tslab 1.0.22 calls `sock.send(...)` without awaiting it. zeromq 6 allows one pending send per socket and throws
 * EBUSY on a second one; a send becomes pending after 512 immediate sends in a row, or when the peer reads slowly.
 * Thrown inside tslab's async message handlers, that error is an unhandled rejection and the kernel process exits
 * (seen in `npm run reproduce`, notebook 03). Here every send of every socket goes through a queue of its own:
 * each waits for the previous one to settle, so order is kept and no send is ever refused as busy. A send that
 * fails anyway is reported on the kernel's own stderr and does not end the process.
 *
 * The IOPub publisher also gets an unlimited send high-water mark: zeromq drops a publisher's messages, silently,
 * once 1000 are queued for a slow subscriber, and a dropped status or output would hang or corrupt the client.
 */
const fs = require('node:fs');

/** Replaces `proto.send` with a per-socket queue in front of the original method; returns the original. */
function queueSends(proto, report = reportFailedSend) {
  const original = proto.send;
  if (typeof original !== 'function') throw new Error('queueSends: the prototype has no send method');
  if (original.imrmQueued) return original.imrmOriginal;
  const tails = new WeakMap();
  function queuedSend(...args) {
    const previous = tails.get(this) ?? Promise.resolve();
    const tail = previous
      .then(() => original.apply(this, args))
      .then(
        () => undefined,
        (error) => report(this, error),
      );
    tails.set(this, tail);
    return tail;
  }
  queuedSend.imrmQueued = true;
  queuedSend.imrmOriginal = original;
  // zeromq's native prototype defines send as read-only (but configurable): redefine rather than assign.
  Object.defineProperty(proto, 'send', { value: queuedSend, writable: false, enumerable: false, configurable: true });
  return original;
}

function socketName(socket) {
  const name = socket?.constructor?.name;
  return name && name !== 'Object' ? name : 'a kernel socket';
}

let failures = 0;

/** One line per failed send on the real stderr (tslab redirects process.stderr.write to the notebook). */
function reportFailedSend(socket, error) {
  failures += 1;
  const code = error?.code ? ` (${error.code})` : '';
  const message = error?.message ? error.message : String(error);
  try {
    fs.writeSync(2, `[imrm kernel] a message on ${socketName(socket)} was not sent${code}: ${message}; the kernel goes on (${failures} so far)\n`);
  } catch {
    // stderr closed: nothing left to report to.
  }
}

function installKernelSendQueue() {
  const zmq = require('zeromq');
  queueSends(Object.getPrototypeOf(zmq.Publisher.prototype));
  const Publisher = zmq.Publisher;
  if (!Publisher.imrmUnlimited) {
    class UnlimitedPublisher extends Publisher {
      constructor(options) {
        super({ sendHighWaterMark: 0, ...options });
      }
    }
    Object.defineProperty(UnlimitedPublisher, 'name', { value: 'Publisher' });
    UnlimitedPublisher.imrmUnlimited = true;
    zmq.Publisher = UnlimitedPublisher;
  }
}

module.exports = { queueSends, installKernelSendQueue };
