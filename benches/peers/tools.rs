//! The peer bench's contenders, each as the command of one run: golive (one
//! pack of N `http` probes), Hurl (N files of one request), the runbook's
//! shell command (curl piped to jq, N of them) and a single plain curl; and
//! the files each reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{API_KEY, JOBS, Result};

/// The Hurl release the goals are set against.
pub const HURL_VERSION: &str = "8.0.1";

/// The files of one size: the certificates' folder and the case's own.
pub struct Case {
    pub certs: PathBuf,
    pub dir: PathBuf,
    pub url: String,
    pub n: usize,
}

impl Case {
    /// Writes golive's pack and configuration and Hurl's files for `n` GETs.
    pub fn new(certs: &Path, port: u16, n: usize) -> Result<Case> {
        let dir = certs.join(format!("n{n}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let case = Case { certs: certs.to_path_buf(), dir, url: format!("https://127.0.0.1:{port}/v2/cardholders"), n };
        case.golive_files(port)?;
        case.hurl_files()?;
        Ok(case)
    }

    fn write(&self, name: &str, text: &str) -> Result<()> {
        let path = self.dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn golive_files(&self, port: u16) -> Result<()> {
        let mut pack = String::from(
            "[pack]\nname = \"bench\"\ntitle = \"Peer bench\"\nrunbook = \"bench\"\n\n[auth]\nheader = \"X-API-Key\"\n",
        );
        for i in 0..self.n {
            pack.push_str(&format!(
                "\n[[probe]]\nid = \"get{i}\"\nkind = \"http\"\ntitle = \"GET /cardholders #{i}\"\n[probe.params]\n\
                 method = \"GET\"\nurl = \"${{base_url}}/cardholders\"\nexpect_status = 200\nassert = [\n  \
                 {{ path = \"$.status\", equals = \"success\" }},\n  {{ path = \"$.total\", equals = 0 }},\n  \
                 {{ path = \"$.limit\", equals = 50 }},\n  {{ path = \"$.offset\", equals = 0 }},\n]\n"
            ));
        }
        self.write("pack.toml", &pack)?;
        let c = self.certs.display();
        self.write(
            "golive.toml",
            &format!(
                "[env.bench]\npack = \"pack.toml\"\nbase_url = \"https://127.0.0.1:{port}/v2\"\n\
                 api_key = {{ env = \"BENCH_API_KEY\" }}\nclient_cert = \"{c}/client.crt\"\n\
                 client_key = \"{c}/client.key\"\nca_bundle = \"{c}/ca.pem\"\nstage = \"staging\"\n"
            ),
        )
    }

    fn hurl_files(&self) -> Result<()> {
        let text = format!(
            "GET {}\nX-API-Key: {{{{api_key}}}}\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"success\"\n\
             jsonpath \"$.total\" == 0\njsonpath \"$.limit\" == 50\njsonpath \"$.offset\" == 0\n",
            self.url
        );
        (0..self.n).try_for_each(|i| self.write(&format!("get{i}.hurl"), &text))
    }

    /// `golive verify --jobs 16` on the case's pack.
    pub fn golive(&self, golive: &Path) -> Command {
        let mut cmd = Command::new(golive);
        cmd.args(["verify", "--env", "bench", "--no-progress", "--jobs", &JOBS.to_string(), "--config"])
            .arg(self.dir.join("golive.toml"))
            .env("BENCH_API_KEY", API_KEY)
            .env("NO_COLOR", "1");
        cmd
    }

    /// `hurl --test --jobs 16` on the case's N files.
    pub fn hurl(&self) -> Command {
        let mut cmd = Command::new("hurl");
        cmd.args(["--test", "--jobs", &JOBS.to_string(), "--no-color"]);
        self.tls_args(&mut cmd).arg("--variable").arg(format!("api_key={API_KEY}"));
        for i in 0..self.n {
            cmd.arg(self.dir.join(format!("get{i}.hurl")));
        }
        cmd
    }

    /// `--cacert --cert --key` of the bench's certificates, as Hurl and curl take them.
    fn tls_args<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for (flag, file) in [("--cacert", "ca.pem"), ("--cert", "client.crt"), ("--key", "client.key")] {
            cmd.arg(flag).arg(self.certs.join(file));
        }
        cmd
    }

    /// The runbook's auth test (`curl --cert program.crt --key program.key -H
    /// "X-API-Key: ..." .../cardholders`) with the CA of the bench and jq
    /// checking the same four values; N of them, JOBS at a time (`xargs -P`);
    /// fails if any fails.
    pub fn shell(&self) -> Command {
        let c = self.certs.display();
        let script = format!(
            "seq {n} | xargs -P {JOBS} -I{{}} sh -c 'curl -sS --fail --cacert {c}/ca.pem --cert {c}/client.crt \
             --key {c}/client.key -H \"X-API-Key: $BENCH_API_KEY\" {url} | jq -e \
             \".status == \\\"success\\\" and .total == 0 and .limit == 50 and .offset == 0\" >/dev/null'",
            n = self.n,
            url = self.url
        );
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script).env("BENCH_API_KEY", API_KEY);
        cmd
    }

    /// One plain curl of the same GET, no shell and no jq: the yardstick of
    /// a single probe.
    pub fn curl(&self) -> Command {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail", "-o", "/dev/null"]);
        self.tls_args(&mut cmd).arg("-H").arg(format!("X-API-Key: {API_KEY}")).arg(&self.url);
        cmd
    }
}

/// The name and version `TOOL --version` starts with (e.g. "hurl 8.0.1"), when the tool runs.
pub fn version(tool: &str) -> Option<String> {
    let out = Command::new(tool).arg("--version").output().ok()?;
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    let text = String::from_utf8_lossy(&text);
    out.status.success().then(|| text.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
}
