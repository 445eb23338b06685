//! Syntax checks for AWS names a user writes in configuration: regions and ARNs.
//! Syntax only: whether the resource exists is for AWS to say at run time.

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`, …
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    parts.len() >= 3
        && first.len() == 2
        && first.chars().all(|c| c.is_ascii_lowercase())
        && !last.is_empty()
        && last.chars().all(|c| c.is_ascii_digit())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` with the given service.
pub fn is_arn_of(s: &str, service: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, svc, _, _, resource]
        if partition.starts_with("aws") && *svc == service && !resource.is_empty())
}

/// The region an ARN names, when it names one (`None` for a plain ID, or an
/// ARN whose region field is empty or not a region).
pub fn arn_region(s: &str) -> Option<&str> {
    let region = s.strip_prefix("arn:")?.split(':').nth(2)?;
    is_region(region).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_table() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-4", "il-central-1"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["", "us-east", "US-EAST-1", "us_east_1", "useast1", "u-east-1", "us--1"] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn arn_table() {
        assert!(is_arn_of("arn:aws:sns:us-east-1:123456789012:alerts", "sns"));
        assert!(is_arn_of("arn:aws-us-gov:sns:us-gov-west-1:123456789012:a.fifo", "sns"));
        assert!(!is_arn_of("arn:aws:sqs:us-east-1:123456789012:q", "sns"));
        assert!(!is_arn_of("sns:alerts", "sns"));
    }

    #[test]
    fn arn_region_table() {
        let cases = [
            ("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.x", Some("eu-west-1")),
            ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.x", Some("us-east-1")),
            ("arn:aws:bedrock::123456789012:thing/x", None),
            ("anthropic.claude-3-haiku-20240307-v1:0", None),
            ("arn:aws", None),
        ];
        for (arn, region) in cases {
            assert_eq!(arn_region(arn), region, "{arn}");
        }
    }
}
