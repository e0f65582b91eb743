//! The release packaging and the install script, as a user of Terraform meets them:
//!
//! - `scripts/release.sh --bin-dir <dev build>` (the same packaging as `make release`, on the
//!   debug binaries: the LTO build is too slow for CI) writes registry-shaped artifacts; their
//!   SHA256SUMS are right and carry a GPG signature made with a throw-away key that verifies.
//!   `CLUSTERFORM_RELEASE_BIN_DIR=target/release` packages `make release`'s binaries instead.
//! - Its network mirror, served over HTTPS on 127.0.0.1 (Terraform accepts no other), installs
//!   `clusterform/instaclustr` on every Terraform version with `network_mirror`, and an apply
//!   against the simulator works; Terraform 1.x locks the `zh:` hash the mirror published.
//! - `scripts/install.sh` lays out both registry hosts, and `terraform init` installs from there.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use sha2::{Digest, Sha256};
use support::static_https::StaticHttps;
use support::{hcl_string, Sim, Terraform, Workdir, IC_KEY, IC_USER, PROVIDER_NAMESPACE};

const TYPES: &[&str] = &["instaclustr", "css", "cloudbasic", "redis"];
const HOSTS: &[&str] = &["registry.terraform.io", "registry.opentofu.org"];
/// The version scripts/release.sh reads from Cargo.toml.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Terraform's name for this machine's platform, as scripts/release-common.sh works it out.
const PLATFORM: &str = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
    "linux_amd64"
} else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
    "linux_arm64"
} else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
    "darwin_arm64"
} else {
    "darwin_amd64"
};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The provider binaries to package: the ones cargo built for this test (target/debug), or
/// those in `CLUSTERFORM_RELEASE_BIN_DIR`, so that the stripped LTO build of `make release`
/// (`CLUSTERFORM_RELEASE_BIN_DIR=target/release`) goes through the same mirror tests.
fn dev_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLUSTERFORM_RELEASE_BIN_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            repo_root().join(dir)
        };
    }
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-instaclustr"))
        .parent()
        .expect("bin dir")
        .to_path_buf()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("release_mirror")
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn sha256_hex(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    hex::encode(Sha256::digest(&bytes))
}

#[track_caller]
fn run_ok(cmd: &mut Command) -> String {
    let what = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

// ---------------------------------------------------------------------------------------------
// A throw-away GPG key
// ---------------------------------------------------------------------------------------------

/// A GNUPGHOME of its own holding one passphrase-less signing key; the agent gpg starts for it
/// is stopped, and the directory removed, on drop.
struct TestGpg {
    home: PathBuf,
    key_id: String,
}

impl TestGpg {
    /// `None` (with a visible SKIP line) when gpg is not installed.
    fn generate() -> Option<TestGpg> {
        if Command::new("gpg")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("SKIP: gpg not found: the SHA256SUMS signature is not made or checked");
            return None;
        }
        // Short and outside target/: gpg-agent's socket path must stay under ~100 bytes.
        let home = std::env::temp_dir().join(format!("cf-gpg-{}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        fs::create_dir_all(&home).expect("create GNUPGHOME");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        let mut gpg = TestGpg {
            home,
            key_id: String::new(),
        };
        run_ok(gpg.command().args([
            "--passphrase",
            "",
            "--quick-generate-key",
            "clusterform release test <release-test@clusterform.invalid>",
            "ed25519",
            "sign",
            "1d",
        ]));
        let listing = run_ok(gpg.command().args(["--list-secret-keys", "--with-colons"]));
        gpg.key_id = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|f| !f.is_empty()))
            .unwrap_or_else(|| panic!("no fingerprint in gpg's listing:\n{listing}"))
            .to_owned();
        Some(gpg)
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("gpg");
        cmd.env("GNUPGHOME", &self.home)
            .args(["--batch", "--pinentry-mode", "loopback"]);
        cmd
    }

    /// The public key as a binary keyring, the form `gpgv --keyring` reads.
    fn export_public_key(&self, dest: &Path) {
        run_ok(
            self.command()
                .arg("--output")
                .arg(dest)
                .args(["--export", &self.key_id]),
        );
    }
}

impl Drop for TestGpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &self.home)
            .status();
        let _ = fs::remove_dir_all(&self.home);
    }
}

/// `gpgv --keyring <keyring> <sig> <file>`: whether the detached signature verifies. gpgv needs
/// no agent and no secret key, as a registry verifying a release has neither.
fn gpgv(keyring: &Path, sig: &Path, file: &Path) -> bool {
    let home = keyring.parent().expect("keyring dir").join("gpgv-home");
    fs::create_dir_all(&home).unwrap();
    Command::new("gpgv")
        .env("GNUPGHOME", &home)
        .arg("--keyring")
        .arg(keyring)
        .arg(sig)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------------------------------------
// The packaged dev build, made once per test binary
// ---------------------------------------------------------------------------------------------

struct Release {
    dir: PathBuf,
    /// The public key that signed each SHA256SUMS (a binary keyring), when gpg is installed.
    keyring: Option<PathBuf>,
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let dir = scratch("dist");
        let gpg = TestGpg::generate();
        let started = Instant::now();
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/release.sh"))
            .arg("--bin-dir")
            .arg(dev_bin_dir())
            .arg("--out")
            .arg(&dir);
        if let Some(gpg) = &gpg {
            cmd.env("GNUPGHOME", &gpg.home)
                .env("GPG_KEY_ID", &gpg.key_id);
        } else {
            cmd.env_remove("GPG_KEY_ID");
        }
        let listing = run_ok(&mut cmd);
        eprintln!(
            "scripts/release.sh --bin-dir {} packaged in {:.1?}:\n{listing}",
            dev_bin_dir().display(),
            started.elapsed()
        );
        // The key leaves with its agent here: a static is never dropped.
        let keyring = gpg.map(|gpg| {
            let keyring = dir.with_file_name(format!("release-key-{}.gpg", std::process::id()));
            gpg.export_public_key(&keyring);
            keyring
        });
        Release { dir, keyring }
    })
}

/// The first file name stored in a zip archive, read from its first local file header.
fn first_zip_member(zip: &Path) -> String {
    let bytes = fs::read(zip).unwrap_or_else(|e| panic!("read {}: {e}", zip.display()));
    assert!(
        bytes.starts_with(b"PK\x03\x04"),
        "{} is not a zip",
        zip.display()
    );
    let name_len = u16::from_le_bytes([bytes[26], bytes[27]]) as usize;
    String::from_utf8_lossy(&bytes[30..30 + name_len]).into_owned()
}

#[test]
fn release_artifacts_have_the_registry_layout_and_a_verified_signature() {
    let rel = release();
    for ty in TYPES {
        let prefix = format!("terraform-provider-{ty}_{VERSION}");
        let zip = format!("{prefix}_{PLATFORM}.zip");
        let manifest = format!("{prefix}_manifest.json");
        let sums = rel.dir.join(format!("{prefix}_SHA256SUMS"));

        assert_eq!(
            first_zip_member(&rel.dir.join(&zip)),
            format!("terraform-provider-{ty}_v{VERSION}")
        );
        let manifest_json: serde_json::Value =
            serde_json::from_slice(&fs::read(rel.dir.join(&manifest)).unwrap()).unwrap();
        assert_eq!(
            manifest_json,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["5.0", "6.0"]}})
        );

        let sums_text = fs::read_to_string(&sums).unwrap();
        let mut listed: Vec<(String, String)> = sums_text
            .lines()
            .map(|l| {
                let (hash, name) = l
                    .split_once("  ")
                    .unwrap_or_else(|| panic!("not sha256sum format: {l:?}"));
                (name.to_owned(), hash.to_owned())
            })
            .collect();
        listed.sort();
        let mut want = vec![
            (manifest.clone(), sha256_hex(&rel.dir.join(&manifest))),
            (zip.clone(), sha256_hex(&rel.dir.join(&zip))),
        ];
        want.sort();
        assert_eq!(listed, want, "{}", sums.display());

        let sig = rel.dir.join(format!("{prefix}_SHA256SUMS.sig"));
        match &rel.keyring {
            Some(keyring) => {
                let sig_bytes = fs::read(&sig).unwrap();
                assert!(
                    !sig_bytes.starts_with(b"-----BEGIN"),
                    "{} must be a binary signature",
                    sig.display()
                );
                assert!(
                    gpgv(keyring, &sig, &sums),
                    "{} does not verify {}",
                    sig.display(),
                    sums.display()
                );
                // A changed SHA256SUMS no longer verifies.
                let tampered = rel
                    .dir
                    .with_file_name(format!("{prefix}_SHA256SUMS.tampered"));
                fs::write(&tampered, sums_text.replace(' ', "\t")).unwrap();
                assert!(
                    !gpgv(keyring, &sig, &tampered),
                    "a tampered SHA256SUMS verified"
                );
                let _ = fs::remove_file(&tampered);
            }
            None => assert!(!sig.exists(), "{} without a key", sig.display()),
        }

        for host in HOSTS {
            let dir = rel
                .dir
                .join("mirror")
                .join(host)
                .join(PROVIDER_NAMESPACE)
                .join(ty);
            let index: serde_json::Value =
                serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
            assert_eq!(index, serde_json::json!({"versions": {VERSION: {}}}));
            let archives: serde_json::Value =
                serde_json::from_slice(&fs::read(dir.join(format!("{VERSION}.json"))).unwrap())
                    .unwrap();
            let archive = &archives["archives"][PLATFORM];
            assert_eq!(archive["url"], zip.as_str(), "{}", dir.display());
            let zh = format!("zh:{}", sha256_hex(&rel.dir.join(&zip)));
            assert!(
                archive["hashes"]
                    .as_array()
                    .is_some_and(|h| h.iter().any(|h| h == zh.as_str())),
                "{}: {archive}",
                dir.display()
            );
            assert_eq!(sha256_hex(&dir.join(&zip)), zh["zh:".len()..]);
        }
    }
}

#[test]
fn version_other_than_cargo_toml_is_refused() {
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/release.sh"))
        .args(["--version", "99.0.0", "--bin-dir"])
        .arg(dev_bin_dir())
        .arg("--out")
        .arg(scratch("wrong-version"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "release.sh accepted --version 99.0.0"
    );
    assert!(
        stderr.contains("Cargo.toml says") && stderr.contains(VERSION),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Installing through Terraform
// ---------------------------------------------------------------------------------------------

fn required_instaclustr() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    instaclustr = {{\n      source  = \"{PROVIDER_NAMESPACE}/instaclustr\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n"
    )
}

fn instaclustr_config(sim: &Sim) -> String {
    format!(
        r#"{required}
provider "instaclustr" {{
  username         = {user}
  api_key          = {key}
  api_hostname     = {url}
  request_interval = "0s"
}}

resource "instaclustr_cluster" "test" {{
  cluster_name     = "from-the-mirror"
  node_size        = "t3.small-v2"
  data_centre      = "US_WEST_2"
  cluster_provider = {{ name = "AWS_VPC" }}

  bundle {{
    bundle  = "APACHE_CASSANDRA"
    version = "4.0.1"
  }}
}}
"#,
        required = required_instaclustr(),
        user = hcl_string(IC_USER),
        key = hcl_string(IC_KEY),
        url = hcl_string(&sim.instaclustr_url()),
    )
}

/// The `hashes` Terraform recorded for clusterform/instaclustr in `.terraform.lock.hcl`
/// (Terraform 0.14 and later write the file).
fn locked_hashes(wd: &Workdir) -> Vec<String> {
    let lock = fs::read_to_string(wd.path().join(".terraform.lock.hcl"))
        .unwrap_or_else(|e| panic!("{}: no .terraform.lock.hcl after init: {e}", wd.terraform()));
    let block_start = lock
        .find(&format!(
            "\"registry.terraform.io/{PROVIDER_NAMESPACE}/instaclustr\""
        ))
        .unwrap_or_else(|| panic!("no instaclustr provider in the lock file:\n{lock}"));
    let block = &lock[block_start..];
    let block = &block[..block.find("\n}").unwrap_or(block.len())];
    block
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_owned)
        .collect()
}

/// 0.13.2 brought `network_mirror`; every newer version is expected to install from it.
fn has_network_mirror(tf: &Terraform) -> bool {
    tf.version_tuple() >= (0, 13, 2)
}

/// A work dir whose CLI config installs clusterform providers from `server` only, trusting its CA.
fn network_mirror_workdir(tf: &Terraform, server: &StaticHttps) -> Workdir {
    let mut wd = Workdir::new(tf, &[]);
    let ca = wd.root().join("mirror-ca.pem");
    fs::write(&ca, server.ca_pem()).unwrap();
    wd.write_cli_config(&format!(
        "provider_installation {{\n  network_mirror {{\n    url     = {url}\n    include = [\"registry.terraform.io/{PROVIDER_NAMESPACE}/*\"]\n  }}\n}}\n",
        url = hcl_string(&server.url())
    ));
    // Go's TLS stack (Terraform's) reads the trusted roots from here on Linux.
    wd.set_env("SSL_CERT_FILE", &ca.display().to_string());
    wd
}

/// A one-provider network mirror holding the released instaclustr zip, but whose
/// `<version>.json` lists only `hashes`.
fn mirror_with_hashes(rel: &Release, name: &str, hashes: &[String]) -> PathBuf {
    let root = scratch(name);
    let src = rel
        .dir
        .join("mirror/registry.terraform.io")
        .join(PROVIDER_NAMESPACE)
        .join("instaclustr");
    let dir = root
        .join("registry.terraform.io")
        .join(PROVIDER_NAMESPACE)
        .join("instaclustr");
    fs::create_dir_all(&dir).unwrap();
    let zip = format!("terraform-provider-instaclustr_{VERSION}_{PLATFORM}.zip");
    fs::copy(src.join("index.json"), dir.join("index.json")).unwrap();
    fs::copy(src.join(&zip), dir.join(&zip)).unwrap();
    let archives = serde_json::json!({"archives": {PLATFORM: {"url": zip, "hashes": hashes}}});
    fs::write(dir.join(format!("{VERSION}.json")), archives.to_string()).unwrap();
    root
}

/// The `hashes` the released `<version>.json` publishes for instaclustr: `(h1, zh)`.
fn published_hashes(rel: &Release) -> (String, String) {
    let path = rel
        .dir
        .join("mirror/registry.terraform.io")
        .join(PROVIDER_NAMESPACE)
        .join(format!("instaclustr/{VERSION}.json"));
    let archives: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let hashes: Vec<String> = archives["archives"][PLATFORM]["hashes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no hashes", path.display()))
        .iter()
        .filter_map(|h| h.as_str().map(str::to_owned))
        .collect();
    let find = |scheme: &str| {
        hashes
            .iter()
            .find(|h| h.starts_with(scheme))
            .cloned()
            .unwrap_or_else(|| panic!("{}: no {scheme} hash in {hashes:?}", path.display()))
    };
    (find("h1:"), find("zh:"))
}

/// The mirror as `scripts/release.sh` writes it installs the provider, and an apply against the
/// simulator works. Terraform 1.x checks the archive against the `zh:` hash: a mirror that lists
/// only the published `zh:` installs, one that lists only a wrong `zh:` is refused; 0.13 knows
/// only `h1:` and refuses a mirror without it, which is why the release lists both. Terraform 1.x locks
/// the `h1:` hash of what it unpacked, which is the `h1:` the mirror published; it copies a
/// mirror's own hashes (such as `zh:`) into the lock file only from a signed registry answer,
/// which a network mirror never gives.
#[test]
fn network_mirror_over_https_installs_the_provider_and_applies() {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: no Terraform binary available");
        return;
    }
    let rel = release();
    let zip = format!("terraform-provider-instaclustr_{VERSION}_{PLATFORM}.zip");
    let (published_h1, published_zh) = published_hashes(rel);
    assert_eq!(
        published_zh,
        format!("zh:{}", sha256_hex(&rel.dir.join(&zip)))
    );
    let server = StaticHttps::serve(&rel.dir.join("mirror"));
    let zh_only = StaticHttps::serve(&mirror_with_hashes(
        rel,
        "mirror-zh-only",
        std::slice::from_ref(&published_zh),
    ));
    let wrong_zh = StaticHttps::serve(&mirror_with_hashes(
        rel,
        "mirror-wrong-zh",
        &[format!("zh:{}", "0".repeat(64))],
    ));

    for tf in &versions {
        if !has_network_mirror(tf) {
            eprintln!("SKIP: {tf}: no network_mirror before 0.13.2");
            continue;
        }
        eprintln!("=== network mirror: {tf}");
        let started = Instant::now();
        let sim = Sim::start();
        let wd = network_mirror_workdir(tf, &server);
        wd.write_main_tf(&instaclustr_config(&sim));
        let served_before = server.served().len();

        let init = wd.init();
        let fetched: Vec<_> = server.served()[served_before..].to_vec();
        init.assert_success();
        let fetched_paths: Vec<&str> = fetched.iter().map(|(p, _)| p.as_str()).collect();
        let base = format!("/registry.terraform.io/{PROVIDER_NAMESPACE}/instaclustr");
        for want in [
            format!("{base}/index.json"),
            format!("{base}/{VERSION}.json"),
            format!("{base}/{zip}"),
        ] {
            assert!(
                fetched.iter().any(|(p, s)| *p == want && *s == 200),
                "{tf}: init did not fetch {want} from the mirror; it fetched {fetched_paths:?}"
            );
        }
        if tf.version_tuple() >= (0, 14, 0) {
            let hashes = locked_hashes(&wd);
            assert_eq!(
                hashes,
                vec![published_h1.clone()],
                "{tf}: .terraform.lock.hcl does not lock the published {published_h1}"
            );
        }

        wd.apply()
            .assert_success()
            .assert_contains("Apply complete! Resources: 1 added");
        let id = wd
            .state_attributes("instaclustr_cluster.test")
            .expect("in state")["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            sim.instaclustr_cluster(&id).is_some(),
            "{tf}: the simulator has no cluster {id}"
        );

        let only_zh = network_mirror_workdir(tf, &zh_only);
        only_zh.write_main_tf(&required_instaclustr());
        if tf.version_tuple() >= (0, 14, 0) {
            only_zh.init().assert_success();
        } else {
            // 0.13 checks only `h1:` hashes, which is why the release publishes both.
            only_zh
                .init()
                .assert_failure()
                .assert_contains("does not support any of the checksum formats");
            eprintln!("{tf}: a mirror listing only zh: is refused (0.13 checks h1: only)");
        }
        let wrong = network_mirror_workdir(tf, &wrong_zh);
        wrong.write_main_tf(&required_instaclustr());
        let refused = wrong.init();
        refused.assert_failure();
        eprintln!(
            "{tf}: a mirror listing only a wrong zh: hash is refused: {}",
            refused
                .flat()
                .split("Error: ")
                .nth(1)
                .unwrap_or("(no error text)")
                .chars()
                .take(200)
                .collect::<String>()
        );
        eprintln!(
            "=== network mirror: {tf}: ok in {:.1?} (fetched {fetched_paths:?})",
            started.elapsed()
        );
    }
}

#[test]
fn install_script_lays_out_both_hosts_for_a_filesystem_mirror() {
    let plugins = scratch("plugins");
    let started = Instant::now();
    run_ok(
        Command::new("bash")
            .arg(repo_root().join("scripts/install.sh"))
            .arg("--bin-dir")
            .arg(dev_bin_dir())
            .arg("--plugin-dir")
            .arg(&plugins),
    );
    eprintln!("scripts/install.sh took {:.1?}", started.elapsed());
    for host in HOSTS {
        for ty in TYPES {
            let bin = plugins
                .join(host)
                .join(PROVIDER_NAMESPACE)
                .join(ty)
                .join(VERSION)
                .join(PLATFORM)
                .join(format!("terraform-provider-{ty}_v{VERSION}"));
            let meta = fs::metadata(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(
                    meta.permissions().mode() & 0o111,
                    0o111,
                    "{} is not executable",
                    bin.display()
                );
            }
            let built = dev_bin_dir().join(format!("terraform-provider-{ty}"));
            assert_eq!(meta.len(), fs::metadata(&built).unwrap().len());
        }
    }

    // One Terraform version is enough here: the mirror layout is the same one every version
    // reads, and the acceptance tests install from such a mirror on all three.
    let Some(tf) = support::terraform_versions().pop() else {
        eprintln!("SKIP: no Terraform binary available");
        return;
    };
    let explicit = Workdir::new(&tf, &[]);
    explicit.write_cli_config(&format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {path}\n    include = [\"registry.terraform.io/{PROVIDER_NAMESPACE}/*\"]\n  }}\n}}\n",
        path = hcl_string(&plugins.display().to_string())
    ));
    explicit.write_main_tf(&required_instaclustr());
    explicit.init().assert_success();
    eprintln!("{tf}: init from a filesystem_mirror at the scripts/install.sh layout: ok");

    // What `make install` promises: with no provider_installation block at all, Terraform's
    // implied local mirror ~/.terraform.d/plugins is enough.
    let home = scratch("home");
    let implied_dir = home.join(".terraform.d");
    fs::create_dir_all(&implied_dir).unwrap();
    fs::rename(&plugins, implied_dir.join("plugins")).unwrap();
    let mut implied = Workdir::new(&tf, &[]);
    implied.write_cli_config("");
    implied.set_env("HOME", &home.display().to_string());
    implied.write_main_tf(&required_instaclustr());
    implied.init().assert_success();
    implied
        .run(&["providers", "-no-color"])
        .assert_success()
        .assert_contains(&format!(
            "registry.terraform.io/{PROVIDER_NAMESPACE}/instaclustr"
        ));
    eprintln!("{tf}: init from the implied mirror ~/.terraform.d/plugins: ok");
    let _ = fs::remove_dir_all(&home);
}
