//! The real `advocacy` binary run as staff would, against a [`TestSystem`] on either
//! engine: the server's address and keys folder come from the environment, and the
//! files a command reads or writes live in a directory of the test's own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::TestSystem;

#[derive(Debug)]
pub struct Cli {
    binary: PathBuf,
    server: String,
    /// The CLI's own data directory: where it would look for a key file, and where a test
    /// puts the spreadsheets and documents it hands to a command.
    work: tempfile::TempDir,
    /// The installation's keys folder the binary signs its token from; unset: it looks in
    /// `work`, where there is none.
    keys_dir: Option<PathBuf>,
}

impl Cli {
    /// The binary at `binary` (`env!("CARGO_BIN_EXE_advocacy")` in the test) pointed at
    /// `system`.
    pub fn new(binary: &str, system: &TestSystem) -> Cli {
        Cli {
            binary: binary.into(),
            server: system.url(),
            work: tempfile::tempdir().expect("a temporary directory"),
            keys_dir: Some(system.keys_dir()),
        }
    }

    /// The binary pointed at `system` from a directory without the installation's key.
    pub fn without_key(binary: &str, system: &TestSystem) -> Cli {
        Cli { keys_dir: None, ..Cli::new(binary, system) }
    }

    /// The binary pointed at a server of its own (`advocacy serve` in `data_dir`), whose
    /// keys the binary reads from `data_dir` as it would on the server's machine.
    pub fn for_installation(binary: &str, server: &str, data_dir: &Path) -> Cli {
        let work = tempfile::tempdir().expect("a temporary directory");
        Cli { binary: binary.into(), server: server.to_owned(), work, keys_dir: Some(data_dir.join("keys")) }
    }

    /// A file in the CLI's working directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// Writes `contents` to a file in the working directory; its path as text.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write the file");
        path.to_str().expect("a UTF-8 path").to_owned()
    }

    /// Runs the binary as Ana, off the async runtime: the server under test needs that
    /// runtime to answer while the command waits.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_with_input(args, None).await
    }

    /// Runs the binary with `input` typed on its standard input (a password).
    pub async fn typing(&self, args: &[&str], input: &str) -> String {
        let out = self.run_with_input(args, Some(input.to_owned())).await;
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    async fn run_with_input(&self, args: &[&str], input: Option<String>) -> Output {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(self.work.path())
            .env("ADVOCACY_DATA_DIR", self.work.path())
            .env("ADVOCACY_SERVER", &self.server)
            .env("ADVOCACY_USER", "ana@advocacy.example")
            .env_remove("ADVOCACY_TOKEN")
            .env_remove("ADVOCACY_DATABASE_URL");
        match &self.keys_dir {
            Some(dir) => command.env("ADVOCACY_KEYS_DIR", dir),
            None => command.env_remove("ADVOCACY_KEYS_DIR"),
        };
        tokio::task::spawn_blocking(move || {
            let Some(input) = input else { return command.output().expect("the advocacy binary runs") };
            use std::io::Write;
            let mut child = command
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the advocacy binary runs");
            child.stdin.take().expect("its input").write_all(input.as_bytes()).expect("typed");
            child.wait_with_output().expect("it finishes")
        })
        .await
        .expect("the command finishes")
    }

    /// Runs the binary and expects it to succeed; its standard output.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs the binary and expects it to fail; its standard error.
    pub async fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(!out.status.success(), "{args:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8(out.stderr).expect("utf-8")
    }
}
