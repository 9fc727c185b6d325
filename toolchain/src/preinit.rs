//! Pre-initializing a JS function's module (wizer): the engine evaluates the bundle once, at
//! build time, and its memory is snapshotted into the module, so a new instance starts with
//! the handler ready instead of parsing the bundle on its first call.

use std::{
    future::Future,
    pin::pin,
    task::{Context, Poll, Waker},
};

use wasmtime::{Engine, Extern, Instance, Linker, Module, Store, Val};
use wasmtime_wizer::{InstanceState, SnapshotVal, ValType, Wizer};

/// The engine's exports for pre-initialization (see `pdk/js/engine`).
const ALLOC: &str = "wasmfn_js_alloc";
const INIT: &str = "wasmfn_js_init";

/// `engine` with `script` evaluated into its snapshot. The engine's imports (Extism's and
/// wasmfn's) fail if called while initializing: a bundle's top-level code runs without the
/// host (no logging, config or randomness); the clock reads 0.
pub(super) fn preinitialize(engine: &[u8], script: &str) -> Result<Vec<u8>, String> {
    let mut wizer = Wizer::new();
    wizer.init_func(INIT);
    let (cx, instrumented) = wizer.instrument(engine).map_err(|e| format!("{e:#}"))?;
    let wasmtime = Engine::default();
    let module = Module::new(&wasmtime, &instrumented).map_err(|e| format!("{e:#}"))?;
    let mut store = Store::new(&wasmtime, ());
    let instance = instantiate(&mut store, &module).map_err(|e| format!("{e:#}"))?;

    let len = u32::try_from(script.len()).map_err(|_| "the bundle is over 4 GiB".to_owned())?;
    let alloc =
        instance.get_typed_func::<u32, u32>(&mut store, ALLOC).map_err(|e| format!("{e:#}"))?;
    let at = alloc.call(&mut store, len).map_err(|e| format!("{ALLOC}: {e:#}"))?;
    let memory = instance.get_memory(&mut store, "memory").ok_or("the engine exports no memory")?;
    memory.write(&mut store, at as usize, script.as_bytes()).map_err(|e| e.to_string())?;
    let init = instance.get_typed_func::<(), ()>(&mut store, INIT).map_err(|e| format!("{e:#}"))?;
    init.call(&mut store, ()).map_err(|e| format!("{INIT}: {e:#}"))?;

    let mut state = Snapshot { store: &mut store, instance };
    ready(wizer.snapshot(&cx, &mut state)).map_err(|e| format!("{e:#}"))
}

/// An instance whose every import fails when called, except the engine's clock (0).
fn instantiate(store: &mut Store<()>, module: &Module) -> wasmtime::Result<Instance> {
    let mut linker = Linker::new(store.engine());
    for import in module.imports() {
        let Some(ty) = import.ty().func().cloned() else { continue };
        let (module_name, name) = (import.module().to_owned(), import.name().to_owned());
        linker.func_new(import.module(), import.name(), ty, move |_, _, results| {
            if name == wasmfn_schema::wire::abi::CLOCK {
                results[0] = Val::F64(0f64.to_bits());
                return Ok(());
            }
            wasmtime::bail!("{module_name}::{name} is not available while pre-initializing")
        })?;
    }
    linker.instantiate(store, module)
}

/// What wizer reads to take the snapshot.
struct Snapshot<'a> {
    store: &'a mut Store<()>,
    instance: Instance,
}

impl InstanceState for Snapshot<'_> {
    async fn global_get(&mut self, name: &str, _: ValType) -> SnapshotVal {
        let global = self.instance.get_global(&mut *self.store, name).expect("wizer exported it");
        match global.get(&mut *self.store) {
            Val::I32(x) => SnapshotVal::I32(x),
            Val::I64(x) => SnapshotVal::I64(x),
            Val::F32(x) => SnapshotVal::F32(x),
            Val::F64(x) => SnapshotVal::F64(x),
            Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("a global of an unsupported type: {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let Some(Extern::Memory(memory)) = self.instance.get_export(&mut *self.store, name) else {
            panic!("wizer exported memory {name}")
        };
        contents(memory.data(&*self.store));
    }
}

/// The output of a future that never waits (wizer's snapshot over a synchronous store).
fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("the snapshot never waits"),
    }
}
