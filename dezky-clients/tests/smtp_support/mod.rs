//! An SMTP server on 127.0.0.1 for the mail tests: EHLO/HELO, AUTH PLAIN
//! and LOGIN (checked against one account when configured), MAIL FROM, RCPT
//! TO, DATA until `CRLF.CRLF` (dot-unstuffed), RSET, NOOP, QUIT. It records
//! every command of every session and every message it accepted, and can
//! be told to answer one command with a given reply or not at all (stall).

#![allow(dead_code, clippy::expect_used)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Where a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The greeting on connect.
    Greeting,
    /// The reply to EHLO.
    Ehlo,
    /// The reply to the AUTH exchange.
    Auth,
    /// The reply to MAIL FROM.
    MailFrom,
    /// The reply to RCPT TO.
    RcptTo,
    /// The reply after the message data (the `.` line).
    DataEnd,
}

/// How the server answers at a fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// This reply line (`451 4.3.0 try again later`).
    Reply(String),
    /// Nothing: the connection is held open without a reply.
    Stall,
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (inside `MAIL FROM:<...>`).
    pub mail_from: String,
    /// The envelope recipients.
    pub rcpt_to: Vec<String>,
    /// The message as sent, dot-unstuffed, without the final `.` line.
    pub data: Vec<u8>,
    /// The user who authenticated, if any.
    pub user: Option<String>,
}

/// The server's configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The account AUTH must name; `None`: AUTH is not offered.
    pub account: Option<(String, String)>,
    /// The mechanisms offered (`PLAIN LOGIN` when empty).
    pub mechanisms: Option<&'static str>,
    /// Whether MAIL FROM requires a successful AUTH.
    pub auth_required: bool,
    /// Text added to a 535 reply (some servers echo what they got).
    pub echo_credentials: bool,
}

#[derive(Debug, Default)]
struct State {
    messages: Vec<Received>,
    sessions: Vec<Vec<String>>,
    faults: VecDeque<(At, Answer)>,
}

/// A running server; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    options: Arc<Options>,
    state: Arc<Mutex<State>>,
}

impl SmtpServer {
    /// Starts a server with `options` on an ephemeral port.
    pub async fn start(options: Options) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = SmtpServer {
            addr: listener.local_addr().expect("addr"),
            options: Arc::new(options),
            state: Arc::default(),
        };
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = accepting.clone();
                tokio::spawn(async move {
                    let _ = session.serve(stream).await;
                });
            }
        });
        server
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    /// The next time the server reaches `at`, it answers `answer`.
    pub fn fail_next(&self, at: At, answer: Answer) {
        self.lock().faults.push_back((at, answer));
    }

    /// The messages accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.lock().messages.clone()
    }

    /// The commands of each session so far (AUTH lines as `AUTH <mechanism>`).
    pub fn sessions(&self) -> Vec<Vec<String>> {
        self.lock().sessions.clone()
    }

    /// Every command line of every session, in one list.
    pub fn commands(&self) -> Vec<String> {
        self.sessions().concat()
    }

    fn fault(&self, at: At) -> Option<Answer> {
        let mut state = self.lock();
        let i = state.faults.iter().position(|(a, _)| *a == at)?;
        state.faults.remove(i).map(|(_, answer)| answer)
    }

    fn log(&self, session: usize, command: String) {
        self.lock().sessions[session].push(command);
    }

    async fn serve(self, stream: TcpStream) -> std::io::Result<()> {
        let session = {
            let mut state = self.lock();
            state.sessions.push(Vec::new());
            state.sessions.len() - 1
        };
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        // Replies `default`, unless a fault is queued at `at`. `false`: stalled.
        macro_rules! reply {
            ($at:expr, $default:expr) => {{
                let answer = match $at {
                    Some(at) => self.fault(at),
                    None => None,
                };
                match answer {
                    Some(Answer::Stall) => {
                        std::future::pending::<()>().await;
                        false
                    }
                    Some(Answer::Reply(line)) => {
                        write.write_all(format!("{line}\r\n").as_bytes()).await?;
                        line.starts_with('2') || line.starts_with('3')
                    }
                    None => {
                        let text: String = $default;
                        write.write_all(text.as_bytes()).await?;
                        true
                    }
                }
            }};
        }
        if !reply!(
            Some(At::Greeting),
            "220 stand-in ESMTP ready\r\n".to_owned()
        ) {
            return Ok(());
        }
        let mut user: Option<String> = None;
        let mut mail_from: Option<String> = None;
        let mut rcpt_to: Vec<String> = Vec::new();
        loop {
            let Some(line) = read_line(&mut lines).await? else {
                return Ok(());
            };
            let upper = line.to_ascii_uppercase();
            let verb = upper.split_whitespace().next().unwrap_or("").to_owned();
            self.log(
                session,
                if verb == "AUTH" {
                    upper
                        .split_whitespace()
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    line.clone()
                },
            );
            match verb.as_str() {
                "EHLO" => {
                    let mut lines = vec!["stand-in greets you".to_owned(), "8BITMIME".to_owned()];
                    if self.options.account.is_some() {
                        lines.push(format!(
                            "AUTH {}",
                            self.options.mechanisms.unwrap_or("PLAIN LOGIN")
                        ));
                    }
                    lines.push("SIZE 10240000".to_owned());
                    let last = lines.len() - 1;
                    let text: String = lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                        .collect();
                    reply!(Some(At::Ehlo), text);
                }
                "HELO" => {
                    reply!(Some(At::Ehlo), "250 stand-in\r\n".to_owned());
                }
                "AUTH" => {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    let mechanism = words.get(1).map(|m| m.to_ascii_uppercase());
                    let engine = base64::engine::general_purpose::STANDARD;
                    let decode = |s: &str| {
                        engine
                            .decode(s.trim())
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok())
                            .unwrap_or_default()
                    };
                    let given: Option<(String, String)> = match mechanism.as_deref() {
                        Some("PLAIN") => {
                            let initial = match words.get(2) {
                                Some(initial) => (*initial).to_owned(),
                                None => {
                                    write.write_all(b"334 \r\n").await?;
                                    read_line(&mut lines).await?.unwrap_or_default()
                                }
                            };
                            let raw = decode(&initial);
                            let mut parts = raw.split('\0');
                            let _authzid = parts.next();
                            match (parts.next(), parts.next()) {
                                (Some(u), Some(p)) => Some((u.to_owned(), p.to_owned())),
                                _ => None,
                            }
                        }
                        Some("LOGIN") => {
                            let name = match words.get(2) {
                                Some(initial) => decode(initial),
                                None => {
                                    write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                                    decode(&read_line(&mut lines).await?.unwrap_or_default())
                                }
                            };
                            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                            let password =
                                decode(&read_line(&mut lines).await?.unwrap_or_default());
                            Some((name, password))
                        }
                        _ => None,
                    };
                    let accepted = self.options.account.is_some() && given == self.options.account;
                    if accepted {
                        if reply!(
                            Some(At::Auth),
                            "235 2.7.0 Authentication successful\r\n".to_owned()
                        ) {
                            user = given.map(|(u, _)| u);
                        }
                    } else {
                        let echo = if self.options.echo_credentials {
                            format!(" for {}", words.get(2).copied().unwrap_or(""))
                        } else {
                            String::new()
                        };
                        reply!(
                            Some(At::Auth),
                            format!("535 5.7.8 Authentication credentials invalid{echo}\r\n")
                        );
                    }
                }
                "MAIL" => {
                    if self.options.auth_required && user.is_none() {
                        write
                            .write_all(b"530 5.7.0 Authentication required\r\n")
                            .await?;
                        continue;
                    }
                    if reply!(Some(At::MailFrom), "250 2.1.0 Ok\r\n".to_owned()) {
                        mail_from = Some(angle(&line));
                        rcpt_to.clear();
                    }
                }
                "RCPT" => {
                    if mail_from.is_none() {
                        write.write_all(b"503 5.5.1 MAIL first\r\n").await?;
                        continue;
                    }
                    if reply!(Some(At::RcptTo), "250 2.1.5 Ok\r\n".to_owned()) {
                        rcpt_to.push(angle(&line));
                    }
                }
                "DATA" => {
                    if mail_from.is_none() || rcpt_to.is_empty() {
                        write.write_all(b"503 5.5.1 RCPT first\r\n").await?;
                        continue;
                    }
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let mut data = Vec::new();
                    loop {
                        let mut raw = Vec::new();
                        if lines.read_until(b'\n', &mut raw).await? == 0 {
                            return Ok(());
                        }
                        if raw == b".\r\n" {
                            break;
                        }
                        let unstuffed = if raw.starts_with(b"..") {
                            &raw[1..]
                        } else {
                            &raw[..]
                        };
                        data.extend_from_slice(unstuffed);
                    }
                    if reply!(Some(At::DataEnd), "250 2.0.0 Ok: queued\r\n".to_owned()) {
                        self.lock().messages.push(Received {
                            mail_from: mail_from.take().unwrap_or_default(),
                            rcpt_to: std::mem::take(&mut rcpt_to),
                            data,
                            user: user.clone(),
                        });
                    }
                    mail_from = None;
                    rcpt_to.clear();
                }
                "RSET" => {
                    mail_from = None;
                    rcpt_to.clear();
                    write.write_all(b"250 2.0.0 Ok\r\n").await?;
                }
                "NOOP" => write.write_all(b"250 2.0.0 Ok\r\n").await?,
                "QUIT" => {
                    write.write_all(b"221 2.0.0 Bye\r\n").await?;
                    return Ok(());
                }
                _ => {
                    write
                        .write_all(b"502 5.5.2 Command not recognized\r\n")
                        .await?
                }
            }
        }
    }
}

/// One command line without its CRLF; `None` at the end of the stream.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The address inside `<...>` of a MAIL FROM or RCPT TO line.
fn angle(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}
