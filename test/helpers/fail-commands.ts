/**
 * An SDK client whose first `n` commands named `command` fail with `error()` and whose other calls
 * go to the real client (moto): for a fault moto cannot produce on demand.
 */
export function failingCommands<C extends object>(real: C, command: string, n: number, error: () => Error): C {
  let left = n;
  return new Proxy(real, {
    get(target, prop, recv) {
      if (prop !== "send") return Reflect.get(target, prop, recv);
      return (cmd: { constructor: { name: string } }, ...rest: unknown[]) => {
        if (cmd.constructor.name === command && left-- > 0) return Promise.reject(error());
        return (target as { send: (...a: unknown[]) => unknown }).send(cmd, ...rest);
      };
    },
  });
}
