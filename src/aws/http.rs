//! The one HTTP client every AWS SDK client of the process shares: one
//! connection pool per endpoint and one TLS configuration (trusted roots
//! loaded once).
//!
//! Why it is built here: a configuration from `aws_config` carries no HTTP
//! client, so each SDK client built from it creates its own default one, and
//! each of those loads the system's trusted roots again (about 200 KB) and
//! keeps its own pool. With a client per service, region and account, a
//! daemon watching many shards would hold hundreds of copies.
//!
//! Must not choose anything the SDK's default client does not: the same
//! TLS provider (rustls with aws-lc), the proxy from the standard
//! environment variables (`HTTPS_PROXY`, `NO_PROXY`, as the SDK's default
//! does since behaviour version 2025-08-07), and the timeouts each call's
//! configuration passes in (connectors are cached per timeout pair).

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// A new shared HTTPS client, built as the SDK builds its default one.
pub fn shared_https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = Connector::builder().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}
