/**
 * SQLite's preupdate hook is called for every row a statement changes. A JS function as the hook
 * costs a call from wasm into JS per row, with two 64-bit arguments made into BigInts: about 0.8
 * µs a row here, 7% of a 100,000-row batch. Live queries need only which tables changed, so the
 * hook given to SQLite is this small wasm function instead: it compares the table's address with
 * the last one and calls into JS only when the table differs. A run of rows of one table then
 * costs a wasm-to-wasm call and a comparison each.
 *
 * The module, hand-assembled (WebAssembly text):
 *
 *   (module
 *     (import "env" "table" (func $table (param i32)))
 *     (global $last (export "last") (mut i32) (i32.const 0))
 *     (func (export "hook") (param $ctx i32) (param $db i32) (param $op i32) (param $zDb i32)
 *                           (param $zTable i32) (param $key1 i64) (param $key2 i64)
 *       (if (i32.ne (local.get $zTable) (global.get $last))
 *         (then (global.set $last (local.get $zTable)) (call $table (local.get $zTable))))))
 *
 * Its signature is the preupdate hook's: void(void*, sqlite3*, int, const char*, const char*, i64, i64).
 */
const MODULE = new Uint8Array([
  // magic, version
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  // types: (i32) -> (); (i32 i32 i32 i32 i32 i64 i64) -> ()
  0x01, 0x0f, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x07, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7e, 0x7e, 0x00,
  // import "env" "table": function of type 0
  0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x00, 0x00,
  // one function of type 1
  0x03, 0x02, 0x01, 0x01,
  // global 0: mutable i32, initially 0
  0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b,
  // exports: "hook" = function 1, "last" = global 0
  0x07, 0x0f, 0x02, 0x04, 0x68, 0x6f, 0x6f, 0x6b, 0x00, 0x01, 0x04, 0x6c, 0x61, 0x73, 0x74, 0x03, 0x00,
  // code: if (local 4 != global 0) { global 0 = local 4; call 0 (local 4) }
  0x0a, 0x14, 0x01, 0x12, 0x00, 0x20, 0x04, 0x23, 0x00, 0x47, 0x04, 0x40, 0x20, 0x04, 0x24, 0x00, 0x20, 0x04, 0x10, 0x00, 0x0b, 0x0b,
]);

let compiled: WebAssembly.Module | undefined;

export interface TableChangeHook {
  /** The function to install as SQLite's preupdate hook. */
  readonly hook: (...args: never[]) => void;
  /** Forgets the last table, so that its next row calls `onTable` again. */
  reset(): void;
}

/** A preupdate hook that calls `onTable(address of the table's name)` for the first row of each run of one table. */
export function tableChangeHook(onTable: (table: number) => void): TableChangeHook {
  compiled ??= new WebAssembly.Module(MODULE);
  const instance = new WebAssembly.Instance(compiled, { env: { table: onTable } });
  const last = instance.exports.last as WebAssembly.Global;
  return {
    hook: instance.exports.hook as (...args: never[]) => void,
    reset: () => {
      last.value = 0;
    },
  };
}
