//! A private NSD (Debian's `nsd`) on 127.0.0.1 at a free high port, serving
//! zones written by the test, stopped by PID when dropped. Tests that need it
//! fail with the install command when it is absent: never skipped.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dezky::clients::resolver::{DnsResolver, ResolverSettings};
use dezky::core::dns::{Answer, QueryType, Resolver};

/// The Stalwart zone of `acme.test`, the template of every test domain.
pub const STALWART: &str = include_str!("../fixtures/dns/stalwart-acme.zone");
/// The ownership token the tests expect.
pub const TOKEN: &str = "k3J9xQ2mP7vR4tW8yZ1aB5cD";

/// Stalwart's `dnsZoneFile` for `domain`.
pub fn stalwart_zone(domain: &str) -> String {
    STALWART.replace("acme.test", domain)
}

/// The ownership record line for `domain`.
pub fn ownership_line(domain: &str) -> String {
    format!("_dezky-challenge.{domain}. IN TXT \"dezky-domain-verification={TOKEN}\"\n")
}

/// Where `nsd` is, or a panic saying how to install it.
pub fn nsd_binary() -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin"] {
        let p = Path::new(dir).join("nsd");
        if p.exists() {
            return p;
        }
    }
    panic!(
        "NSD is not installed: run `bash scripts/install-test-deps.sh` (as root: apt-get install nsd)"
    );
}

/// A port free for UDP and TCP on every one of `addresses`.
pub fn free_port(addresses: &[Ipv4Addr]) -> u16 {
    for _ in 0..50 {
        let Ok(udp) = UdpSocket::bind((addresses[0], 0)) else {
            continue;
        };
        let Ok(addr) = udp.local_addr() else { continue };
        let port = addr.port();
        let free = addresses.iter().all(|ip| {
            TcpListener::bind((*ip, port)).is_ok()
                && (*ip == addresses[0] || UdpSocket::bind((*ip, port)).is_ok())
        });
        if free {
            return port;
        }
    }
    panic!("no port free on all of {addresses:?}");
}

/// A running NSD.
pub struct Nsd {
    child: Child,
    /// Its address (127.0.0.1 unless started with [`Nsd::start_on`]).
    pub address: Ipv4Addr,
    /// Its port.
    pub port: u16,
    /// Its working directory (config, zones, log).
    pub dir: tempfile::TempDir,
}

impl Nsd {
    /// Starts NSD authoritative for `zones` (name, body). Each body gets an
    /// SOA, an NS `ns1.<zone>.` and `ns1 A 127.0.0.1` prepended.
    pub fn start(zones: &[(String, String)]) -> Nsd {
        let local = Ipv4Addr::LOCALHOST;
        let zones: Vec<_> = zones
            .iter()
            .map(|(name, body)| (name.clone(), body.clone(), local))
            .collect();
        Nsd::start_on(local, free_port(&[local]), &zones)
    }

    /// Starts NSD on `address:port` authoritative for `zones` (name, body, the
    /// address of the zone's `ns1`). Each body gets an SOA, an NS `ns1.<zone>.`
    /// and `ns1 A <address of ns1>` prepended.
    pub fn start_on(address: Ipv4Addr, port: u16, zones: &[(String, String, Ipv4Addr)]) -> Nsd {
        Nsd::start_with(address, port, zones, "")
    }

    /// [`Nsd::start_on`] with `server_options` (indented `name: value`
    /// lines) added to the `server:` clause, e.g. response-rate limiting.
    pub fn start_with(
        address: Ipv4Addr,
        port: u16,
        zones: &[(String, String, Ipv4Addr)],
        server_options: &str,
    ) -> Nsd {
        let nsd = nsd_binary();
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        };
        let d = dir.path().display().to_string();
        let mut conf = format!(
            "server:\n    ip-address: {address}@{port}\n    port: {port}\n    username: \"\"\n    chroot: \"\"\n    zonesdir: \"{d}\"\n    database: \"\"\n    pidfile: \"{d}/nsd.pid\"\n    xfrdfile: \"{d}/xfrd.state\"\n    zonelistfile: \"{d}/zone.list\"\n    logfile: \"{d}/nsd.log\"\n    server-count: 1\n    verbosity: 0\n{server_options}remote-control:\n    control-enable: no\n"
        );
        for (name, body, ns1) in zones {
            let text = format!(
                "$ORIGIN {name}.\n$TTL 300\n@ IN SOA ns1.{name}. hostmaster.{name}. 1 3600 600 86400 300\n@ IN NS ns1.{name}.\nns1 IN A {ns1}\n; --- test records ---\n{body}\n"
            );
            if let Err(e) = std::fs::write(dir.path().join(format!("{name}.zone")), text) {
                panic!("write zone: {e}");
            }
            conf.push_str(&format!(
                "zone:\n    name: \"{name}\"\n    zonefile: \"{name}.zone\"\n"
            ));
        }
        let conf_path = dir.path().join("nsd.conf");
        if let Err(e) = std::fs::write(&conf_path, conf) {
            panic!("write nsd.conf: {e}");
        }
        let child = match Command::new(&nsd)
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => panic!("cannot start {}: {e}", nsd.display()),
        };
        Nsd {
            child,
            address,
            port,
            dir,
        }
    }

    /// Resolver settings pointing at this NSD: no cache, short timeout.
    pub fn settings(&self) -> ResolverSettings {
        ResolverSettings {
            nameservers: vec![IpAddr::V4(self.address)],
            port: self.port,
            timeout: Duration::from_secs(2),
            attempts: 2,
            cache_size: 0,
            recursion_desired: false,
        }
    }

    /// A resolver on this NSD.
    pub fn resolver(&self) -> DnsResolver {
        match DnsResolver::new(self.settings()) {
            Ok(r) => r,
            Err(e) => panic!("resolver: {e}"),
        }
    }

    /// Waits until NSD answers the SOA of `zone`; panics with its log after 10 s.
    pub async fn wait_ready(&mut self, zone: &str) {
        let resolver = self.resolver();
        let start = Instant::now();
        loop {
            if let Answer::Records { .. } =
                resolver.lookup(&format!("ns1.{zone}."), QueryType::A).await
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nsd exited ({status}): {}", self.log());
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("nsd did not answer within 10 s: {}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its log file.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nsd.log")).unwrap_or_default()
    }
}

impl Drop for Nsd {
    /// SIGTERM, so NSD stops its server and xfrd children too; SIGKILL after 5 s.
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A UDP forwarder in front of a nameserver that counts the questions it
/// passes on, by lowercase name (with the trailing dot). Stops when dropped.
pub struct CountingProxy {
    /// Where it listens.
    pub address: std::net::SocketAddr,
    counts: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CountingProxy {
    /// Listens on `listen` (UDP) and forwards each datagram to `upstream`,
    /// relaying its answer back.
    pub fn start(listen: std::net::SocketAddr, upstream: std::net::SocketAddr) -> CountingProxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let socket = match UdpSocket::bind(listen) {
            Ok(s) => Arc::new(s),
            Err(e) => panic!("proxy bind {listen}: {e}"),
        };
        if let Err(e) = socket.set_read_timeout(Some(Duration::from_millis(50))) {
            panic!("proxy socket: {e}");
        }
        let counts = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (counts.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 65535];
            while !s.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let query = buf[..n].to_vec();
                if let Some(name) = question_name(&query)
                    && let Ok(mut counts) = c.lock()
                {
                    *counts.entry(name).or_insert(0) += 1;
                }
                let socket = socket.clone();
                std::thread::spawn(move || {
                    let Ok(up) = UdpSocket::bind((upstream.ip(), 0)) else {
                        return;
                    };
                    let _ = up.set_read_timeout(Some(Duration::from_secs(3)));
                    if up.send_to(&query, upstream).is_err() {
                        return;
                    }
                    let mut answer = [0u8; 65535];
                    if let Ok(m) = up.recv(&mut answer) {
                        let _ = socket.send_to(&answer[..m], from);
                    }
                });
            }
        });
        CountingProxy {
            address: listen,
            counts,
            stop,
            thread: Some(thread),
        }
    }

    /// How many questions for `name` (any type) it has passed on.
    pub fn count(&self, name: &str) -> usize {
        let name = name.to_ascii_lowercase();
        self.counts
            .lock()
            .map(|c| c.get(&name).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The question name of a DNS message, lowercase with a trailing dot.
fn question_name(message: &[u8]) -> Option<String> {
    let mut at = 12;
    let mut name = String::new();
    loop {
        let len = usize::from(*message.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        let label = message.get(at..at + len)?;
        name.push_str(&String::from_utf8_lossy(label).to_ascii_lowercase());
        name.push('.');
        at += len;
    }
    Some(if name.is_empty() {
        ".".to_owned()
    } else {
        name
    })
}
