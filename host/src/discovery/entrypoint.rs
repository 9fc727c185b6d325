//! What a process function runs in each mode.

use std::path::{Path, PathBuf};

use super::{FunctionSpec, Mode};

/// The command a process function runs in a mode: what [`FunctionSpec::entrypoint`] gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entrypoint {
    /// The program: an interpreter (`node`, `deno`, `python3`, `go`) or the file itself.
    pub program: PathBuf,
    /// Its arguments, the file last for an interpreter.
    pub args: Vec<String>,
    /// The file run: the manifest's `process.entry`, or its `build.output`.
    pub file: PathBuf,
    /// Whether `file` is the build's output (which must exist before the function can run).
    pub from_build: bool,
}

impl Entrypoint {
    /// What `spec` runs in `mode` (see [`FunctionSpec::entrypoint`]).
    pub(super) fn for_mode(spec: &FunctionSpec, mode: Mode) -> Option<Self> {
        let process = spec.manifest.process.as_ref()?;
        let language = process.language();
        let source = spec.dir.join(&process.entry);
        let source_runs = language.interpreter(&source).is_some();
        let (file, from_build) = match &spec.manifest.build {
            Some(build) if !(mode.is_dev() && source_runs) => (spec.dir.join(&build.output), true),
            _ => (source, false),
        };
        let (program, args) = match language.interpreter(&file) {
            Some((interpreter, leading)) => {
                let mut args: Vec<String> = leading.iter().map(|s| (*s).to_owned()).collect();
                args.extend(process.args.iter().cloned());
                if !from_build {
                    args.extend(process.dev_args.iter().filter(|_| mode.is_dev()).cloned());
                }
                args.push(file.display().to_string());
                (PathBuf::from(interpreter), args)
            }
            None => (file.clone(), Vec::new()),
        };
        Some(Self { program, args, file, from_build })
    }

    /// The same command running `file` instead (a private copy of it).
    pub(crate) fn running(mut self, file: &Path) -> Self {
        if !self.is_interpreted() {
            self.program = file.to_path_buf();
        } else if let Some(last) = self.args.last_mut() {
            *last = file.display().to_string();
        }
        self.file = file.to_path_buf();
        self
    }

    /// Whether the program is an interpreter rather than the file itself.
    pub fn is_interpreted(&self) -> bool {
        self.program != self.file
    }
}

#[cfg(all(test, feature = "dev"))]
mod tests {
    use super::*;

    fn spec(manifest: &str) -> (tempfile::TempDir, FunctionSpec) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("manifest.yaml"), manifest).unwrap();
        let spec = FunctionSpec::from_dir(dir.path()).unwrap();
        (dir, spec)
    }

    #[test]
    fn dev_runs_the_source_and_serve_the_build_output() {
        let (_dir, spec) = spec(
            "name: hello-node\nruntime: process\nprocess:\n  entry: src/index.ts\n  args: [--no-warnings]\n  dev_args: [--import, tsx]\n\
             \x20 language: node\n\
             build:\n  command: npx\n  args: [esbuild]\n  output: dist/index.js\n",
        );
        let dev = Entrypoint::for_mode(&spec, Mode::Dev).unwrap();
        assert_eq!(dev.program, PathBuf::from("node"));
        assert_eq!(
            dev.args,
            [
                "--no-warnings",
                "--import",
                "tsx",
                &spec.dir.join("src/index.ts").display().to_string()
            ]
        );
        assert!(!dev.from_build);
        let serve = Entrypoint::for_mode(&spec, Mode::Serve).unwrap();
        assert_eq!(serve.file, spec.dir.join("dist/index.js"));
        assert!(serve.from_build);
        assert_eq!(
            serve.args,
            ["--no-warnings", &spec.dir.join("dist/index.js").display().to_string()]
        );
        assert!(spec.needs_build(Mode::Serve));
        assert!(!spec.needs_build(Mode::Dev));
    }

    #[test]
    fn a_compiled_binary_runs_its_build_output_in_both_modes() {
        let (_dir, spec) = spec(
            "name: native\nruntime: process\nprocess:\n  entry: src/main.rs\n  language: binary\n\
             build:\n  command: cargo\n  output: target/release/native\n",
        );
        for mode in [Mode::Dev, Mode::Serve] {
            let entrypoint = Entrypoint::for_mode(&spec, mode).unwrap();
            assert_eq!(entrypoint.program, spec.dir.join("target/release/native"));
            assert!(entrypoint.from_build && !entrypoint.is_interpreted());
            assert!(spec.needs_build(mode));
        }
    }

    #[test]
    fn without_a_build_both_modes_run_the_source() {
        let (_dir, spec) = spec("name: job\nruntime: process\nprocess:\n  entry: main.py\n");
        for mode in [Mode::Dev, Mode::Serve] {
            let entrypoint = Entrypoint::for_mode(&spec, mode).unwrap();
            assert_eq!(entrypoint.program, PathBuf::from("python3"));
            assert_eq!(entrypoint.file, spec.dir.join("main.py"));
        }
    }

    #[test]
    fn go_runs_from_source_in_dev_and_as_a_binary_in_serve() {
        let (_dir, spec) = spec(
            "name: go-fn\nruntime: process\nprocess:\n  entry: main.go\n\
             build:\n  command: go\n  args: [build, -o, bin/go-fn]\n  output: bin/go-fn\n",
        );
        let dev = Entrypoint::for_mode(&spec, Mode::Dev).unwrap();
        assert_eq!((dev.program, dev.args[0].as_str()), (PathBuf::from("go"), "run"));
        let serve = Entrypoint::for_mode(&spec, Mode::Serve).unwrap();
        assert_eq!(serve.program, spec.dir.join("bin/go-fn"));
        assert!(serve.args.is_empty());
    }

    #[test]
    fn a_binary_runs_itself_and_wasm_functions_have_no_entrypoint() {
        let (_dir, native) =
            spec("name: native\nruntime: process\nprocess:\n  entry: bin/native\n");
        let entrypoint = Entrypoint::for_mode(&native, Mode::Serve).unwrap();
        assert_eq!((entrypoint.program, entrypoint.args), (native.dir.join("bin/native"), vec![]));
        let (_dir, wasm) = spec("name: plain\n");
        assert_eq!(Entrypoint::for_mode(&wasm, Mode::Serve), None);
    }
}
