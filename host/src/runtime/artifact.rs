//! Reading a function's artifact (its `.wasm`, or a process function's file) without trusting
//! what is on disk: only a regular file inside the function folder once symlinks are resolved,
//! at most a configured size, read with that bound. A pipe, a device or a link out of the
//! folder can neither hang the host nor have its bytes loaded (or quoted in an error).

use std::{
    fs::File,
    io::Read,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

/// The default for [`RuntimeOptions::max_artifact_size`](super::RuntimeOptions): 128 MiB, far
/// above a pre-initialized JS function (~3 MB) or a large Rust guest (~20 MB).
pub(crate) const DEFAULT_MAX_ARTIFACT_SIZE: u64 = 128 * 1024 * 1024;

/// Why an artifact was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ArtifactError {
    /// It does not exist or cannot be opened.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// It is not something a function may load.
    #[error("{0}")]
    Refused(String),
}

/// An open artifact, and its size when opened.
pub(crate) struct Artifact {
    file: File,
    len: u64,
}

impl Artifact {
    /// Opens `path`, which must resolve inside `dir` (itself resolved) to a regular file of at
    /// most `max` bytes. Opened without blocking, so a pipe is refused instead of waited on.
    pub(crate) fn open(dir: &Path, path: &Path, max: u64) -> Result<Self, ArtifactError> {
        let resolved = resolve_inside(dir, path)?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&resolved)?;
        // The file that was opened, not whatever the path names now.
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(ArtifactError::Refused("is not a regular file".to_owned()));
        }
        if metadata.len() > max {
            return Err(ArtifactError::Refused(format!(
                "is {}, over the {} limit for artifacts (max_artifact_size)",
                bytesize::ByteSize(metadata.len()),
                bytesize::ByteSize(max)
            )));
        }
        Ok(Self { file, len: metadata.len() })
    }

    /// The whole file, never more than the size it had when opened.
    pub(crate) fn read(mut self) -> Result<Vec<u8>, ArtifactError> {
        let mut bytes = Vec::with_capacity(self.len as usize);
        (&mut self.file).take(self.len).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Its permission bits (a binary must stay executable when copied).
    pub(crate) fn permissions(&self) -> std::io::Result<std::fs::Permissions> {
        Ok(self.file.metadata()?.permissions())
    }
}

/// `path` with its symlinks resolved, if that is inside `dir`.
fn resolve_inside(dir: &Path, path: &Path) -> Result<PathBuf, ArtifactError> {
    let dir = std::fs::canonicalize(dir)?;
    let resolved = std::fs::canonicalize(path)?;
    if !resolved.starts_with(&dir) {
        return Err(ArtifactError::Refused(
            "resolves to a file outside the function folder (through a symlink)".to_owned(),
        ));
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_folder_within_the_size_are_read() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("f");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("plugin.wasm"), b"\0asm").unwrap();
        std::fs::write(root.path().join("secret"), b"root:x:0:0").unwrap();
        std::os::unix::fs::symlink("plugin.wasm", dir.join("inside")).unwrap();
        std::os::unix::fs::symlink("../secret", dir.join("outside")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
        nix::unistd::mkfifo(&dir.join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        std::fs::create_dir(dir.join("folder")).unwrap();

        let read = |name: &str, max| Artifact::open(&dir, &dir.join(name), max)?.read();
        assert_eq!(read("plugin.wasm", 4).unwrap(), b"\0asm");
        assert_eq!(read("inside", 4).unwrap(), b"\0asm");
        let refused = |name: &str, max| match read(name, max) {
            Err(ArtifactError::Refused(reason)) => reason,
            other => panic!("{name}: {other:?}"),
        };
        assert!(refused("plugin.wasm", 3).contains("over the 3 B"));
        assert!(refused("outside", 100).contains("outside the function folder"));
        assert!(refused("zero", 100).contains("outside the function folder"));
        assert!(refused("fifo", 100).contains("not a regular file"));
        assert!(refused("folder", 100).contains("not a regular file"));
        assert!(matches!(read("missing", 100), Err(ArtifactError::Io(_))));
    }
}
