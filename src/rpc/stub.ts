/**
 * A typed stub: every method of interface `T` as a function that returns a promise of its
 * result. Members that are not methods are left out.
 */
export type RpcStub<T> = {
  readonly [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (
    ...args: infer A
  ) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/**
 * A Proxy whose every string property is a function calling `call(name, args)`. `then` is not
 * a method (so that awaiting the stub does not call the server), nor are symbols.
 */
export function makeStub<T extends object>(
  call: (name: string, args: unknown[]) => Promise<unknown>,
): RpcStub<T> {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(Object.create(null) as object, {
    get(_, property) {
      if (typeof property !== 'string' || property === 'then') return undefined;
      let method = methods.get(property);
      if (method === undefined) {
        method = (...args: unknown[]) => call(property, args);
        methods.set(property, method);
      }
      return method;
    },
  }) as RpcStub<T>;
}
