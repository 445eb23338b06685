//! The shipped price table priced through the public API, against totals
//! computed independently (Python `decimal`, by hand for the line cases).
//! Usage for every row: 1,234,567 input, 89,012 output, 3,456,789 cache read,
//! 123,456 cache write 5m and 7,890 cache write 1h tokens.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::config;
use bedrock_cost_monitor::pricing::{CostError, PriceOptions, PriceOutcome, Pricer, TokenType, Usage};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

fn loaded() -> config::Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/monitor.toml");
    config::load_with_env(&path, &|_| None, SystemClock.now()).expect("shipped config is valid")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn usage() -> Usage {
    Usage::new()
        .with(TokenType::Input, 1_234_567)
        .with(TokenType::Output, 89_012)
        .with(TokenType::CacheRead, 3_456_789)
        .with(TokenType::CacheWrite5m, 123_456)
        .with(TokenType::CacheWrite1h, 7_890)
}

/// (model ID as seen, region, resolved model, price entry, exact total USD)
const ROWS: &[(&str, &str, &str, &str, &str)] = &[
    ("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", "claude-3-haiku", "claude-3-haiku:all:2024-03-13", "0.56459222"),
    ("us.anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", "claude-3-haiku", "claude-3-haiku:all:2024-03-13", "0.56459222"),
    ("eu.anthropic.claude-3-haiku-20240307-v1:0", "eu-west-1", "claude-3-haiku", "claude-3-haiku:all:2024-03-13", "0.56459222"),
    ("apac.anthropic.claude-3-haiku-20240307-v1:0", "ap-northeast-1", "claude-3-haiku", "claude-3-haiku:all:2024-03-13", "0.56459222"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", "us-west-2", "claude-3-haiku", "claude-3-haiku:all:2024-03-13", "0.56459222"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0", "eu-central-1", "claude-3-haiku", "claude-3-haiku:all:2024-03-13", "0.56459222"),
    ("anthropic.claude-3-sonnet-20240229-v1:0", "us-east-1", "claude-3-sonnet", "claude-3-sonnet:all:2024-03-04", "6.5862177"),
    ("us.anthropic.claude-3-sonnet-20240229-v1:0", "us-east-1", "claude-3-sonnet", "claude-3-sonnet:all:2024-03-04", "6.5862177"),
    ("eu.anthropic.claude-3-sonnet-20240229-v1:0", "eu-west-1", "claude-3-sonnet", "claude-3-sonnet:all:2024-03-04", "6.5862177"),
    ("apac.anthropic.claude-3-sonnet-20240229-v1:0", "ap-northeast-1", "claude-3-sonnet", "claude-3-sonnet:all:2024-03-04", "6.5862177"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0", "us-west-2", "claude-3-sonnet", "claude-3-sonnet:all:2024-03-04", "6.5862177"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-sonnet-20240229-v1:0", "eu-central-1", "claude-3-sonnet", "claude-3-sonnet:all:2024-03-04", "6.5862177"),
    ("anthropic.claude-3-opus-20240229-v1:0", "us-east-1", "claude-3-opus", "claude-3-opus:all:2024-04-16", "32.9310885"),
    ("us.anthropic.claude-3-opus-20240229-v1:0", "us-east-1", "claude-3-opus", "claude-3-opus:all:2024-04-16", "32.9310885"),
    ("eu.anthropic.claude-3-opus-20240229-v1:0", "eu-west-1", "claude-3-opus", "claude-3-opus:all:2024-04-16", "32.9310885"),
    ("apac.anthropic.claude-3-opus-20240229-v1:0", "ap-northeast-1", "claude-3-opus", "claude-3-opus:all:2024-04-16", "32.9310885"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-opus-20240229-v1:0", "us-west-2", "claude-3-opus", "claude-3-opus:all:2024-04-16", "32.9310885"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-opus-20240229-v1:0", "eu-central-1", "claude-3-opus", "claude-3-opus:all:2024-04-16", "32.9310885"),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "us-east-1", "claude-3-5-sonnet", "claude-3-5-sonnet:all:2024-06-20", "6.5862177"),
    ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "us-east-1", "claude-3-5-sonnet", "claude-3-5-sonnet:all:2024-06-20", "6.5862177"),
    ("eu.anthropic.claude-3-5-sonnet-20240620-v1:0", "eu-west-1", "claude-3-5-sonnet", "claude-3-5-sonnet:all:2024-06-20", "6.5862177"),
    ("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", "ap-northeast-1", "claude-3-5-sonnet", "claude-3-5-sonnet:all:2024-06-20", "6.5862177"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0", "us-west-2", "claude-3-5-sonnet", "claude-3-5-sonnet:all:2024-06-20", "6.5862177"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-5-sonnet-20240620-v1:0", "eu-central-1", "claude-3-5-sonnet", "claude-3-5-sonnet:all:2024-06-20", "6.5862177"),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "us-east-1", "claude-3-5-sonnet-v2", "claude-3-5-sonnet-v2:all:2024-10-22", "6.5862177"),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "us-east-1", "claude-3-5-sonnet-v2", "claude-3-5-sonnet-v2:all:2024-10-22", "6.5862177"),
    ("eu.anthropic.claude-3-5-sonnet-20241022-v2:0", "eu-west-1", "claude-3-5-sonnet-v2", "claude-3-5-sonnet-v2:all:2024-10-22", "6.5862177"),
    ("apac.anthropic.claude-3-5-sonnet-20241022-v2:0", "ap-northeast-1", "claude-3-5-sonnet-v2", "claude-3-5-sonnet-v2:all:2024-10-22", "6.5862177"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0", "us-west-2", "claude-3-5-sonnet-v2", "claude-3-5-sonnet-v2:all:2024-10-22", "6.5862177"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-5-sonnet-20241022-v2:0", "eu-central-1", "claude-3-5-sonnet-v2", "claude-3-5-sonnet-v2:all:2024-10-22", "6.5862177"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-1", "claude-3-5-haiku", "claude-3-5-haiku:all:2024-11-04", "1.75632472"),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-1", "claude-3-5-haiku", "claude-3-5-haiku:all:2024-11-04", "1.75632472"),
    ("eu.anthropic.claude-3-5-haiku-20241022-v1:0", "eu-west-1", "claude-3-5-haiku", "claude-3-5-haiku:all:2024-11-04", "1.75632472"),
    ("apac.anthropic.claude-3-5-haiku-20241022-v1:0", "ap-northeast-1", "claude-3-5-haiku", "claude-3-5-haiku:all:2024-11-04", "1.75632472"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0", "us-west-2", "claude-3-5-haiku", "claude-3-5-haiku:all:2024-11-04", "1.75632472"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-5-haiku-20241022-v1:0", "eu-central-1", "claude-3-5-haiku", "claude-3-5-haiku:all:2024-11-04", "1.75632472"),
    ("anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1", "claude-3-7-sonnet", "claude-3-7-sonnet:all:2025-02-24", "6.5862177"),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1", "claude-3-7-sonnet", "claude-3-7-sonnet:all:2025-02-24", "6.5862177"),
    ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "eu-west-1", "claude-3-7-sonnet", "claude-3-7-sonnet:all:2025-02-24", "6.5862177"),
    ("apac.anthropic.claude-3-7-sonnet-20250219-v1:0", "ap-northeast-1", "claude-3-7-sonnet", "claude-3-7-sonnet:all:2025-02-24", "6.5862177"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-7-sonnet-20250219-v1:0", "us-west-2", "claude-3-7-sonnet", "claude-3-7-sonnet:all:2025-02-24", "6.5862177"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "eu-central-1", "claude-3-7-sonnet", "claude-3-7-sonnet:all:2025-02-24", "6.5862177"),
    ("anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1", "claude-sonnet-4", "claude-sonnet-4:all:2025-05-22", "6.5862177"),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1", "claude-sonnet-4", "claude-sonnet-4:all:2025-05-22", "6.5862177"),
    ("eu.anthropic.claude-sonnet-4-20250514-v1:0", "eu-west-1", "claude-sonnet-4", "claude-sonnet-4:all:2025-05-22", "6.5862177"),
    ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "ap-northeast-1", "claude-sonnet-4", "claude-sonnet-4:all:2025-05-22", "6.5862177"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0", "us-west-2", "claude-sonnet-4", "claude-sonnet-4:all:2025-05-22", "6.5862177"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0", "eu-central-1", "claude-sonnet-4", "claude-sonnet-4:all:2025-05-22", "6.5862177"),
    ("anthropic.claude-opus-4-20250514-v1:0", "us-east-1", "claude-opus-4", "claude-opus-4:all:2025-05-22", "32.9310885"),
    ("us.anthropic.claude-opus-4-20250514-v1:0", "us-east-1", "claude-opus-4", "claude-opus-4:all:2025-05-22", "32.9310885"),
    ("eu.anthropic.claude-opus-4-20250514-v1:0", "eu-west-1", "claude-opus-4", "claude-opus-4:all:2025-05-22", "32.9310885"),
    ("apac.anthropic.claude-opus-4-20250514-v1:0", "ap-northeast-1", "claude-opus-4", "claude-opus-4:all:2025-05-22", "32.9310885"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-opus-4-20250514-v1:0", "us-west-2", "claude-opus-4", "claude-opus-4:all:2025-05-22", "32.9310885"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-20250514-v1:0", "eu-central-1", "claude-opus-4", "claude-opus-4:all:2025-05-22", "32.9310885"),
    ("anthropic.claude-opus-4-1-20250805-v1:0", "us-east-1", "claude-opus-4-1", "claude-opus-4-1:all:2025-08-05", "32.9310885"),
    ("us.anthropic.claude-opus-4-1-20250805-v1:0", "us-east-1", "claude-opus-4-1", "claude-opus-4-1:all:2025-08-05", "32.9310885"),
    ("eu.anthropic.claude-opus-4-1-20250805-v1:0", "eu-west-1", "claude-opus-4-1", "claude-opus-4-1:all:2025-08-05", "32.9310885"),
    ("apac.anthropic.claude-opus-4-1-20250805-v1:0", "ap-northeast-1", "claude-opus-4-1", "claude-opus-4-1:all:2025-08-05", "32.9310885"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-opus-4-1-20250805-v1:0", "us-west-2", "claude-opus-4-1", "claude-opus-4-1:all:2025-08-05", "32.9310885"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-1-20250805-v1:0", "eu-central-1", "claude-opus-4-1", "claude-opus-4-1:all:2025-08-05", "32.9310885"),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-west-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("apac.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0", "us-west-2", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-central-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", "claude-sonnet-4-5", "claude-sonnet-4-5:global:2025-09-29", "6.5862177"),
    ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-southeast-2", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("ca.anthropic.claude-sonnet-4-5-20250929-v1:0", "ca-central-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-gov-west-1", "claude-sonnet-4-5", "claude-sonnet-4-5:regional:2025-09-29", "7.24483947"),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-west-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("apac.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-northeast-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0", "us-west-2", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-central-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1", "claude-haiku-4-5", "claude-haiku-4-5:global:2025-10-15", "2.1954059"),
    ("jp.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-northeast-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("au.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-southeast-2", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("ca.anthropic.claude-haiku-4-5-20251001-v1:0", "ca-central-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("us-gov.anthropic.claude-haiku-4-5-20251001-v1:0", "us-gov-west-1", "claude-haiku-4-5", "claude-haiku-4-5:regional:2025-10-15", "2.41494649"),
    ("anthropic.claude-opus-4-5-20251101-v1:0", "us-east-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("us.anthropic.claude-opus-4-5-20251101-v1:0", "us-east-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("eu.anthropic.claude-opus-4-5-20251101-v1:0", "eu-west-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("apac.anthropic.claude-opus-4-5-20251101-v1:0", "ap-northeast-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-opus-4-5-20251101-v1:0", "us-west-2", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-5-20251101-v1:0", "eu-central-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("global.anthropic.claude-opus-4-5-20251101-v1:0", "us-east-1", "claude-opus-4-5", "claude-opus-4-5:global:2025-11-24", "10.9770295"),
    ("jp.anthropic.claude-opus-4-5-20251101-v1:0", "ap-northeast-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("au.anthropic.claude-opus-4-5-20251101-v1:0", "ap-southeast-2", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("ca.anthropic.claude-opus-4-5-20251101-v1:0", "ca-central-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("us-gov.anthropic.claude-opus-4-5-20251101-v1:0", "us-gov-west-1", "claude-opus-4-5", "claude-opus-4-5:regional:2025-11-24", "12.07473245"),
    ("anthropic.claude-opus-4-6-v1", "us-east-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("us.anthropic.claude-opus-4-6-v1", "us-east-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("eu.anthropic.claude-opus-4-6-v1", "eu-west-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("apac.anthropic.claude-opus-4-6-v1", "ap-northeast-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-opus-4-6-v1", "us-west-2", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-6-v1", "eu-central-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("global.anthropic.claude-opus-4-6-v1", "us-east-1", "claude-opus-4-6", "claude-opus-4-6:global:2026-03-13", "10.9770295"),
    ("jp.anthropic.claude-opus-4-6-v1", "ap-northeast-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("au.anthropic.claude-opus-4-6-v1", "ap-southeast-2", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("ca.anthropic.claude-opus-4-6-v1", "ca-central-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("us-gov.anthropic.claude-opus-4-6-v1", "us-gov-west-1", "claude-opus-4-6", "claude-opus-4-6:regional:2026-03-13", "12.07473245"),
    ("anthropic.claude-sonnet-4-6", "us-east-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("us.anthropic.claude-sonnet-4-6", "us-east-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("eu.anthropic.claude-sonnet-4-6", "eu-west-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("apac.anthropic.claude-sonnet-4-6", "ap-northeast-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6", "us-west-2", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6", "eu-central-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("global.anthropic.claude-sonnet-4-6", "us-east-1", "claude-sonnet-4-6", "claude-sonnet-4-6:global:2026-03-13", "6.5862177"),
    ("jp.anthropic.claude-sonnet-4-6", "ap-northeast-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("au.anthropic.claude-sonnet-4-6", "ap-southeast-2", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("ca.anthropic.claude-sonnet-4-6", "ca-central-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
    ("us-gov.anthropic.claude-sonnet-4-6", "us-gov-west-1", "claude-sonnet-4-6", "claude-sonnet-4-6:regional:2026-03-13", "7.24483947"),
];

#[test]
fn every_model_and_id_form_prices_to_the_last_digit() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    for (model_id, region, model, entry, total) in ROWS {
        let outcome = pricer
            .price(model_id, region, at("2026-11-25T00:00:00Z"), &usage(), PriceOptions::default())
            .unwrap();
        let PriceOutcome::Priced(p) = outcome else { panic!("{model_id} unpriced: {outcome:?}") };
        assert_eq!(p.resolved.model, *model, "{model_id}");
        assert_eq!(p.entry.id, *entry, "{model_id}");
        assert_eq!(p.cost.total_usd, d(total), "{model_id} in {region}");
        let line_sum: Decimal = p.cost.lines.iter().map(|l| l.usd).sum();
        assert_eq!(line_sum, p.cost.total_usd, "{model_id}: lines add up to the total");
    }
    // Every model of the price table is exercised by at least one row.
    for m in l.prices.catalog().models() {
        assert!(ROWS.iter().any(|r| r.2 == m.key), "no row for {}", m.key);
    }
}

/// Each token type of Sonnet 4.5 through `us.` (regional premium), by hand:
/// 1,234,567 × 3.30 / 10⁶ = 4.0740711; 89,012 × 16.50 / 10⁶ = 1.468698;
/// 3,456,789 × 0.33 / 10⁶ = 1.14074037; 123,456 × 4.125 / 10⁶ = 0.509256;
/// 7,890 × 6.60 / 10⁶ = 0.052074. And through `global.` without the premium.
#[test]
fn each_token_type_and_the_regional_premium_by_hand() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    let cases = [
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            [
                ("input", "3.3", "4.0740711"),
                ("output", "16.5", "1.468698"),
                ("cache_read", "0.33", "1.14074037"),
                ("cache_write_5m", "4.125", "0.509256"),
                ("cache_write_1h", "6.6", "0.052074"),
            ],
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            [
                ("input", "3", "3.703701"),
                ("output", "15", "1.33518"),
                ("cache_read", "0.3", "1.0370367"),
                ("cache_write_5m", "3.75", "0.46296"),
                ("cache_write_1h", "6", "0.04734"),
            ],
        ),
    ];
    for (model_id, lines) in cases {
        let PriceOutcome::Priced(p) = pricer
            .price(model_id, "us-east-1", at("2026-11-25T00:00:00Z"), &usage(), PriceOptions::default())
            .unwrap()
        else {
            panic!("{model_id} unpriced")
        };
        let got: Vec<(String, Decimal, Decimal)> =
            p.cost.lines.iter().map(|l| (l.token_type.to_string(), l.usd_per_million, l.usd)).collect();
        let want: Vec<(String, Decimal, Decimal)> =
            lines.iter().map(|(t, r, u)| (t.to_string(), d(r), d(u))).collect();
        assert_eq!(got, want, "{model_id}");
    }
}

/// Opus 4.6 had a long-context tier until the 1M window went GA on 2026-03-13.
#[test]
fn effective_date_boundary_is_the_exact_instant() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    let usage = Usage::new().with(TokenType::Input, 300_000).with(TokenType::Output, 10_000);
    let lc = PriceOptions { long_context: true, ..Default::default() };
    let id = "global.anthropic.claude-opus-4-6-v1";

    // One second before: the tier applies, 300,000 × 10 + 10,000 × 37.50 = 3.375.
    let before = pricer.price(id, "us-east-1", at("2026-03-12T23:59:59Z"), &usage, lc).unwrap();
    let PriceOutcome::Priced(p) = before else { panic!("unpriced") };
    assert_eq!(p.entry.id, "claude-opus-4-6:global:2026-02-05");
    assert_eq!(p.cost.total_usd, d("3.375"));

    // At the instant: the new entry is in force and has no tier any more.
    let err = pricer.price(id, "us-east-1", at("2026-03-13T00:00:00Z"), &usage, lc).unwrap_err();
    assert_eq!(err, CostError::NoLongContextTier("claude-opus-4-6:global:2026-03-13".into()));
    let PriceOutcome::Priced(p) =
        pricer.price(id, "us-east-1", at("2026-03-13T00:00:00Z"), &usage, PriceOptions::default()).unwrap()
    else {
        panic!("unpriced")
    };
    assert_eq!(p.cost.total_usd, d("1.75"));

    // Before the model's first price there is none: unpriced, not $0.
    let early =
        pricer.price(id, "us-east-1", at("2026-02-04T23:59:59Z"), &usage, PriceOptions::default()).unwrap();
    assert!(matches!(early, PriceOutcome::Unpriced { .. }), "{early:?}");
}

#[test]
fn batch_discount_halves_every_rate() {
    let l = loaded();
    let none = BTreeMap::new();
    let pricer = Pricer::new(&l.prices, &none);
    let usage = Usage::new().with(TokenType::Input, 1_000_000).with(TokenType::Output, 1_000_000);
    let opts = PriceOptions { batch: true, ..Default::default() };
    let PriceOutcome::Priced(p) = pricer
        .price(
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "us-west-2",
            at("2026-11-25T00:00:00Z"),
            &usage,
            opts,
        )
        .unwrap()
    else {
        panic!("unpriced")
    };
    // (0.80 + 4) / 2
    assert_eq!(p.cost.total_usd, d("2.4"));
}

#[test]
fn unknown_and_unbillable_ids_are_unpriced_never_zero() {
    let l = loaded();
    let mut profiles = BTreeMap::new();
    profiles.insert(
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/known1".to_string(),
        "global.anthropic.claude-haiku-4-5-20251001-v1:0".to_string(),
    );
    let pricer = Pricer::new(&l.prices, &profiles);
    let now = at("2026-11-25T00:00:00Z");
    for id in [
        "anthropic.claude-opus-5-20270101-v1:0",
        "meta.llama3-70b-instruct-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/unknown9",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc",
    ] {
        let outcome = pricer.price(id, "us-east-1", now, &usage(), PriceOptions::default()).unwrap();
        match outcome {
            PriceOutcome::Unpriced { model_id, .. } => assert_eq!(model_id, id),
            other => panic!("{id} priced: {other:?}"),
        }
    }
    // A mapped application profile prices as its target: global Haiku 4.5, no premium.
    let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/known1";
    let one = Usage::new().with(TokenType::Input, 1_000_000);
    let PriceOutcome::Priced(p) = pricer.price(app, "us-east-1", now, &one, PriceOptions::default()).unwrap()
    else {
        panic!("mapped profile unpriced")
    };
    assert_eq!((p.resolved.model.as_str(), p.cost.total_usd), ("claude-haiku-4-5", d("1")));
}
