//! A parsed invocation-log record turned into the [`RequestUsage`] pricing
//! takes: the caller reduced to the same principal key CloudTrail gives it,
//! the cache writes split by TTL where the record says so.
//!
//! Pure; must not price or store.

use super::record::LogRecord;
use crate::records::{CacheWrites, RequestUsage};
use crate::sources::cloudtrail::principal::{normalise, UserIdentity};

/// The usage of `record`. AWS's record schema has no batch or service-tier
/// field, so a logged request is priced as an on-demand, standard-tier call.
pub fn request_usage(record: LogRecord) -> RequestUsage {
    let t = &record.tokens;
    let cache_write = match t.cache_write_split {
        Some(s) => CacheWrites::Split { five_minutes: s.five_minutes, one_hour: s.one_hour },
        None => CacheWrites::Total(t.cache_write),
    };
    RequestUsage {
        principal: principal_key(&record.principal_arn, record.account_id.as_deref()),
        at: record.timestamp,
        input: t.input,
        output: t.output,
        cache_read: t.cache_read,
        cache_write,
        batch: false,
        request_id: record.request_id,
        region: record.region,
        model_id: record.model_id,
        dimensions: record.metadata,
    }
}

/// The principal key of an `identity.arn`: an assumed-role session becomes
/// its role (`arn:…:iam::<account>:role/<name>`), as CloudTrail's callers
/// do, so attribution from either source names the same principal. The STS
/// ARN carries no role path, so a role with a path keys without it here.
pub fn principal_key(arn: &str, account_id: Option<&str>) -> String {
    let kind = if arn.contains(":assumed-role/") {
        "AssumedRole"
    } else if arn.contains(":user/") {
        "IAMUser"
    } else if arn.ends_with(":root") {
        "Root"
    } else if arn.contains(":federated-user/") {
        "FederatedUser"
    } else {
        "Unknown"
    };
    let identity = UserIdentity {
        kind: Some(kind.to_string()),
        arn: Some(arn.to_string()),
        account_id: account_id.map(str::to_string),
        ..UserIdentity::default()
    };
    normalise(&identity).key
}

#[cfg(test)]
mod tests {
    use super::principal_key;

    #[test]
    fn principal_keys_match_cloudtrail() {
        let cases = [
            (
                "arn:aws:sts::111122223333:assumed-role/app-task/3f2a9c",
                "arn:aws:iam::111122223333:role/app-task",
            ),
            ("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/alice"),
            ("arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"),
            ("arn:aws-us-gov:sts::111122223333:assumed-role/r/s", "arn:aws-us-gov:iam::111122223333:role/r"),
        ];
        for (arn, want) in cases {
            assert_eq!(principal_key(arn, Some("111122223333")), want, "{arn}");
        }
    }
}
