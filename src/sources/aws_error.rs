//! Classification of AWS SDK errors into [`SourceError`], shared by every
//! adapter: the SDK crates all return the same smithy `SdkError`, so one
//! function decides what is a throttle, a timeout or a service error.
//!
//! Must not retry, log or know any particular service's error types.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{ErrorKind, SourceError};

/// Throttling codes differ between services (`Throttling`,
/// `ThrottlingException`, `RequestLimitExceeded`, ...).
pub fn is_throttling_code(code: &str) -> bool {
    code.contains("Throttl") || code == "RequestLimitExceeded" || code == "TooManyRequestsException"
}

/// A [`SourceError`] for a failed call of `api` in `region`.
pub fn classify<E, R>(api: &'static str, region: &str, e: &SdkError<E, R>) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let (kind, message) = match e {
        SdkError::TimeoutError(_) => (ErrorKind::Timeout, "timed out".to_string()),
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown");
            let kind = if is_throttling_code(code) { ErrorKind::Throttled } else { ErrorKind::Service };
            (kind, format!("{code}: {}", se.err().message().unwrap_or("")))
        }
        other => (ErrorKind::Other, DisplayErrorContext(other).to_string()),
    };
    SourceError { api, region: region.to_string(), kind, message }
}

/// Worth trying again soon: the request may not have reached the service, or
/// the service failed on its side (5xx). Throttling is not included: callers
/// that wait throttles out do so on their own schedule.
pub fn is_transient<E>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(se) => se.raw().status().is_server_error(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_of_every_service() {
        for code in ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"]
        {
            assert!(is_throttling_code(code), "{code}");
        }
        for code in ["AccessDeniedException", "InvalidNextTokenException", "InternalFailure"] {
            assert!(!is_throttling_code(code), "{code}");
        }
    }
}
