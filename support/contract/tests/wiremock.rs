//! Checking the requests a `wiremock::MockServer` received.
#![cfg(feature = "wiremock")]

use dezky_contract::Spec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Sends one HTTP/1.1 request with a raw socket (no client library needed).
async fn send(server: &MockServer, method: &str, target: &str, content_type: &str, body: &str) {
    let mut stream = match TcpStream::connect(server.address()).await {
        Ok(stream) => stream,
        Err(error) => panic!("connect: {error}"),
    };
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: upstream\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(error) = stream.write_all(request.as_bytes()).await {
        panic!("write: {error}");
    }
    let mut response = Vec::new();
    if let Err(error) = stream.read_to_end(&mut response).await {
        panic!("read: {error}");
    }
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn conforming_requests_pass() {
    let spec = Spec::shared("authentik-2025.10.4.openapi.yml", "/api/v3");
    let server = server().await;
    send(
        &server,
        "GET",
        "/api/v3/core/groups/?name=t-acme&page_size=100",
        "application/json",
        "",
    )
    .await;
    send(
        &server,
        "POST",
        "/api/v3/core/groups/",
        "application/json",
        r#"{"name":"t-acme","attributes":{"dezky_tenant_slug":"acme"}}"#,
    )
    .await;
    let received = server.received_requests().await.unwrap_or_default();
    assert_eq!(received.len(), 2);
    let operations = spec.assert_wiremock_requests(&received);
    let ids: Vec<_> = operations
        .iter()
        .map(|o| o.operation_id.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["core_groups_list", "core_groups_create"]);
}

#[tokio::test]
#[should_panic(expected = "body/bogus: unknown property")]
async fn departing_request_panics() {
    let spec = Spec::stripe_mock();
    let server = server().await;
    send(
        &server,
        "POST",
        "/v1/customers",
        "application/x-www-form-urlencoded",
        "email=a%40b.c&bogus=1",
    )
    .await;
    let received = server.received_requests().await.unwrap_or_default();
    spec.assert_wiremock_requests(&received);
}
