//! [`Mode`]: serve or dev, what decides how a function's files are used.

/// How functions get their artifacts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Production: prebuilt artifacts only; nothing is built or watched.
    #[default]
    Serve,
    /// Development: functions are built when their artifact is missing or stale, rebuilt when
    /// their sources change, and hot-reloaded when their artifact changes (see
    /// [`dev`](crate::dev)). Needs a tokio runtime.
    #[cfg(feature = "dev")]
    Dev,
}

impl Mode {
    /// `serve` or `dev`: what builds and processes see in `WASMFN_MODE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Serve => "serve",
            #[cfg(feature = "dev")]
            Self::Dev => "dev",
        }
    }

    /// Whether this is dev mode.
    pub fn is_dev(self) -> bool {
        self.as_str() == "dev"
    }
}
