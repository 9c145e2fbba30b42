//! `advocacy backup` and `advocacy restore`: every service's SQLite database, copied
//! online (`VACUUM INTO`, a consistent snapshot while the server runs), and the signing
//! keys, in one `.tar.gz` with a manifest of SHA-256 checksums. A restore reads and checks
//! the whole archive (every checksum, every database's integrity) before it changes
//! anything, and keeps the files it replaces.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::json;
use sha2::{Digest, Sha256};

use advocacy_platform::Config;
use advocacy_platform::db::sqlite_path;

const MANIFEST: &str = "manifest.json";
const FORMAT: i64 = 1;

/// A file of the archive: `<service>.db` or `keys/<name>`.
struct Entry {
    name: String,
    sha256: String,
    bytes: u64,
}

fn sha256_of(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let (mut hasher, mut buffer, mut bytes) = (Sha256::new(), vec![0; 1 << 16], 0u64);
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), bytes))
}

/// Each service's SQLite file; refused when a service's database is not SQLite.
fn database_files(config: &Config) -> anyhow::Result<Vec<(&'static str, PathBuf)>> {
    crate::serve::service_names()
        .into_iter()
        .map(|service| {
            let url = config.database_url_for(service);
            match sqlite_path(&url) {
                Some(path) => Ok((service, path)),
                None => bail!(
                    "the {service} database is not a SQLite file; back PostgreSQL up with pg_dump, \
                     one database per service (ops/README.md, \"Backup and restore\")"
                ),
            }
        })
        .collect()
}

/// A connection to a SQLite file, without migrations: a backup copies what is there.
async fn connect(path: &Path) -> anyhow::Result<sqlx::SqliteConnection> {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(false);
    sqlx::SqliteConnection::connect_with(&options).await.with_context(|| format!("opening {}", path.display()))
}

pub async fn backup(config: &Config, archive: &Path) -> anyhow::Result<()> {
    if archive.exists() {
        bail!("{} exists; name a new archive", archive.display());
    }
    let databases = database_files(config)?;
    let folder = archive.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let staging = tempfile::tempdir_in(folder).context("a staging folder beside the archive")?;
    let mut entries = Vec::new();
    for (service, path) in databases {
        if !path.exists() {
            eprintln!("note: no {service} database at {}; it has never run here", path.display());
            continue;
        }
        let name = format!("{service}.db");
        let copy = staging.path().join(&name);
        let mut conn = connect(&path).await?;
        sqlx::query("VACUUM INTO $1")
            .bind(copy.display().to_string())
            .execute(&mut conn)
            .await
            .with_context(|| format!("copying the {service} database"))?;
        let (sha256, bytes) = sha256_of(&copy)?;
        entries.push(Entry { name, sha256, bytes });
    }
    let keys = config.keys().path().to_owned();
    std::fs::create_dir_all(staging.path().join("keys"))?;
    for file in std::fs::read_dir(&keys).with_context(|| format!("the keys folder {}", keys.display()))? {
        let file = file?;
        // A key being replaced is written to a dot-file first: not a key yet.
        if !file.file_type()?.is_file() || file.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let name = format!("keys/{}", file.file_name().to_string_lossy());
        std::fs::copy(file.path(), staging.path().join(&name))?;
        let (sha256, bytes) = sha256_of(&staging.path().join(&name))?;
        entries.push(Entry { name, sha256, bytes });
    }
    let manifest = json!({
        "format": FORMAT,
        "made_by": format!("advocacy {}", env!("CARGO_PKG_VERSION")),
        "made_at": chrono::Utc::now().to_rfc3339(),
        "files": entries.iter().map(|e| json!({"name": e.name, "sha256": e.sha256, "bytes": e.bytes})).collect::<Vec<_>>(),
    });
    std::fs::write(staging.path().join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;

    // Written beside its name and renamed when whole: no half archive under the name.
    let partial = staging.path().join("archive.partial");
    {
        // The archive holds every private key and all the records: its owner's only.
        let file = private_file(&partial)?;
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
        tar.append_path_with_name(staging.path().join(MANIFEST), MANIFEST)?;
        for entry in &entries {
            tar.append_path_with_name(staging.path().join(&entry.name), &entry.name)?;
        }
        tar.into_inner()?.finish()?.sync_all()?;
    }
    std::fs::rename(&partial, archive).with_context(|| format!("writing {}", archive.display()))?;
    let total: u64 = entries.iter().map(|e| e.bytes).sum();
    println!("backed up {} files ({total} bytes before compression) to {}", entries.len(), archive.display());
    Ok(())
}

pub async fn restore(config: &Config, archive: &Path) -> anyhow::Result<()> {
    let databases = database_files(config)?;
    // A server still running on these files would go on with the ones set aside.
    if config.grpc_listen.port() != 0 && std::net::TcpListener::bind(config.grpc_listen).is_err() {
        bail!("something listens on {} (the server?): stop it first; nothing was changed", config.grpc_listen);
    }
    let keys = config.keys().path().to_owned();
    let folder = keys.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let staging = tempfile::tempdir_in(folder).context("a staging folder in the data directory")?;

    // 1. Read the archive whole, refusing any name but the manifest's kinds.
    let file = std::fs::File::open(archive).with_context(|| format!("reading {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    std::fs::create_dir_all(staging.path().join("keys"))?;
    for entry in tar.entries().context("reading the archive")? {
        let mut entry = entry.context("reading the archive")?;
        let name = entry.path()?.to_string_lossy().into_owned();
        // Plain files only: a link would make a restored key or database another file.
        if !is_archive_name(&name) || entry.header().entry_type() != tar::EntryType::Regular {
            bail!("{}: {name:?} is not a file a backup holds; nothing was changed", archive.display());
        }
        let mut unpacked = private_file(&staging.path().join(&name))
            .with_context(|| format!("{name} is in the archive twice; nothing was changed"))?;
        std::io::copy(&mut entry, &mut unpacked).with_context(|| format!("unpacking {name}"))?;
    }
    // 2. Every file as the manifest lists it, and no other.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(staging.path().join(MANIFEST)).context("the archive has no manifest; nothing was changed")?,
    )
    .context("the manifest is not JSON; nothing was changed")?;
    if manifest["format"].as_i64() != Some(FORMAT) {
        bail!("the archive's format is {}, not {FORMAT}; nothing was changed", manifest["format"]);
    }
    let listed = manifest["files"].as_array().context("the manifest lists no files")?;
    let mut names = Vec::new();
    for file in listed {
        let name = file["name"].as_str().unwrap_or_default().to_owned();
        if !is_archive_name(&name) || name == MANIFEST {
            bail!("the manifest names {name:?}; nothing was changed");
        }
        if names.contains(&name) {
            bail!("the manifest names {name} twice; nothing was changed");
        }
        let (sha256, bytes) = sha256_of(&staging.path().join(&name))
            .with_context(|| format!("{name} is in the manifest, not in the archive; nothing was changed"))?;
        if Some(sha256.as_str()) != file["sha256"].as_str() || Some(bytes) != file["bytes"].as_u64() {
            bail!("{name} does not match its checksum in the manifest; nothing was changed");
        }
        names.push(name);
    }
    for unpacked in std::fs::read_dir(staging.path())?.chain(std::fs::read_dir(staging.path().join("keys"))?) {
        let unpacked = unpacked?;
        let relative = unpacked.path().strip_prefix(staging.path())?.to_string_lossy().into_owned();
        if unpacked.file_type()?.is_file() && relative != MANIFEST && !names.contains(&relative) {
            bail!("{relative} is in the archive but not in its manifest; nothing was changed");
        }
    }
    // 3. Each database whole, as SQLite reads it.
    for name in names.iter().filter(|n| n.ends_with(".db")) {
        let mut conn = connect(&staging.path().join(name)).await?;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
        if check != "ok" {
            bail!("{name} fails SQLite's integrity check ({check}); nothing was changed");
        }
    }

    // 4. Each restored file copied beside the one it replaces (the same file system, so
    //    the swap below is renames only); a failure here leaves the current files as they are.
    let aside = format!("before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ"));
    let mut swaps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let prepared = (|| -> anyhow::Result<()> {
        for (service, path) in &databases {
            let name = format!("{service}.db");
            if !names.contains(&name) {
                continue;
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                advocacy_platform::config::private_dir(parent)?;
            }
            let ready = PathBuf::from(format!("{}.restoring", path.display()));
            std::io::copy(&mut std::fs::File::open(staging.path().join(&name))?, &mut private_file(&ready)?)?;
            swaps.push((ready, path.clone()));
        }
        let ready = PathBuf::from(format!("{}.restoring", keys.display()));
        advocacy_platform::config::private_dir(&ready)?;
        for name in names.iter().filter(|n| n.starts_with("keys/")) {
            let file = ready.join(name.trim_start_matches("keys/"));
            std::io::copy(&mut std::fs::File::open(staging.path().join(name))?, &mut private_file(&file)?)?;
        }
        swaps.push((ready, keys.clone()));
        Ok(())
    })();
    if let Err(e) = prepared {
        for (ready, _) in &swaps {
            let _ = if ready.is_dir() { std::fs::remove_dir_all(ready) } else { std::fs::remove_file(ready) };
        }
        return Err(e.context("preparing the restore; nothing was changed"));
    }

    // 5. The swap: each current file (with its WAL) set aside, the restored one renamed in;
    //    on a failure, what was swapped is put back.
    let mut done: Vec<(PathBuf, PathBuf)> = Vec::new();
    let swapped = (|| -> anyhow::Result<()> {
        for (ready, target) in &swaps {
            for suffix in ["", "-wal", "-shm"] {
                let current = PathBuf::from(format!("{}{suffix}", target.display()));
                if current.exists() {
                    let kept = PathBuf::from(format!("{}.{aside}", current.display()));
                    std::fs::rename(&current, &kept)?;
                    done.push((kept, current));
                }
            }
            std::fs::rename(ready, target)?;
            done.push((target.clone(), ready.clone()));
        }
        Ok(())
    })();
    if let Err(e) = swapped {
        for (now, before) in done.iter().rev() {
            let _ = std::fs::rename(now, before);
        }
        return Err(e.context("restoring; the files were put back as they were"));
    }
    let restored = swaps.len() - 1;
    println!(
        "restored {restored} databases and the keys from {} (made {}); the files replaced end in .{aside}",
        archive.display(),
        manifest["made_at"].as_str().unwrap_or("at an unknown time")
    );
    Ok(())
}

/// A new file readable by its owner only; an error if it exists.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A name a backup holds: the manifest, `<name>.db`, or `keys/<name>`; never a path that
/// climbs out of the folder it is unpacked in.
fn is_archive_name(name: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) && !s.starts_with('.')
    };
    match name.split_once('/') {
        Some(("keys", file)) => plain(file),
        Some(_) => false,
        None => name == MANIFEST || (plain(name) && name.ends_with(".db")),
    }
}

#[cfg(test)]
mod tests {
    use super::is_archive_name;

    #[test]
    fn an_archive_holds_only_the_manifest_databases_and_keys() {
        for good in ["manifest.json", "deadlines.db", "keys/gateway.key", "keys/gateway.pub"] {
            assert!(is_archive_name(good), "{good}");
        }
        for bad in ["../deadlines.db", "/etc/passwd", "keys/../../x", "keys/", "a/b.db", ".db", "notes.txt", "keys/.x"]
        {
            assert!(!is_archive_name(bad), "{bad}");
        }
    }
}
