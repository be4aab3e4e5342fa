// Preloaded into the packaging run (`node --require`): every outbound connection or DNS lookup is refused
// and written to the file OFFLINE_GUARD_LOG names, so a packaging step that would reach AWS, a registry
// or anything else fails the template test instead of passing on a machine that happens to be online.
const dns = require('node:dns');
const fs = require('node:fs');
const net = require('node:net');

// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by the test that packages, for this file only
const log = process.env.OFFLINE_GUARD_LOG;
const refuse = (what) => {
  if (log) fs.appendFileSync(log, `${what}\n`);
  return new Error(`offline packaging: refused ${what}`);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  // net.connect() passes its arguments on normalised, as one array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const opts = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  // A local IPC path (child processes' pipes) is not the network.
  if (typeof opts.path === 'string') return connect.apply(this, args);
  const error = refuse(`connect ${opts.host ?? 'localhost'}:${opts.port}`);
  process.nextTick(() => this.destroy(error));
  return this;
};
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6']) {
  const original = dns[name];
  dns[name] = function (host, ...rest) {
    const callback = rest.findLast((a) => typeof a === 'function');
    const error = refuse(`dns ${name} ${host}`);
    if (callback) process.nextTick(() => callback(error));
    else return original.call(this, host, ...rest);
  };
}
