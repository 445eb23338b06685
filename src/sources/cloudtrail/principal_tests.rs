#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn norm(v: serde_json::Value) -> Principal {
    normalise(&serde_json::from_value(v).unwrap())
}

/// (case, userIdentity, key, type, session name)
type Case = (&'static str, serde_json::Value, &'static str, PrincipalType, Option<&'static str>);

/// Role sessions: plain, rebuilt, other partitions, Identity Center.
fn role_cases() -> Vec<Case> {
    vec![
        (
            "assumed role with issuer: the role path survives",
            json!({"type": "AssumedRole", "principalId": "AROAEXAMPLE:batch-7",
                   "arn": "arn:aws:sts::111122223333:assumed-role/summariser/batch-7",
                   "accountId": "111122223333",
                   "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                       "arn": "arn:aws:iam::111122223333:role/apps/summariser",
                       "accountId": "111122223333", "userName": "summariser"}}}),
            "arn:aws:iam::111122223333:role/apps/summariser",
            PrincipalType::AssumedRole,
            Some("batch-7"),
        ),
        (
            "assumed role without issuer: rebuilt from the sts ARN",
            json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/summariser/i-0abc"}),
            "arn:aws:iam::111122223333:role/summariser",
            PrincipalType::AssumedRole,
            Some("i-0abc"),
        ),
        (
            "assumed role in another partition",
            json!({"type": "AssumedRole", "arn": "arn:aws-us-gov:sts::111122223333:assumed-role/r/s"}),
            "arn:aws-us-gov:iam::111122223333:role/r",
            PrincipalType::AssumedRole,
            Some("s"),
        ),
        (
            "the official Bedrock sample: a user-shaped arn, the issuer names the role",
            json!({"type": "AssumedRole", "principalId": "AROAICFHPEXAMPLE",
                   "arn": "arn:aws:iam::111122223333:user/userxyz", "accountId": "111122223333",
                   "sessionContext": {"sessionIssuer": {"type": "Role",
                       "arn": "arn:aws:iam::111122223333:role/Admin", "userName": "Admin"}}}),
            "arn:aws:iam::111122223333:role/Admin",
            PrincipalType::AssumedRole,
            None,
        ),
        (
            "session name only in the principal ID",
            json!({"type": "AssumedRole", "principalId": "AROAEXAMPLE:ci-job",
                   "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/ci"}}}),
            "arn:aws:iam::1:role/ci",
            PrincipalType::AssumedRole,
            Some("ci-job"),
        ),
        (
            "Identity Center permission set role",
            json!({"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice@example.com",
                   "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScience_0123456789abcdef/alice@example.com",
                   "sessionContext": {"sessionIssuer": {"type": "Role",
                       "arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataScience_0123456789abcdef"}}}),
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataScience_0123456789abcdef",
            PrincipalType::IdentityCenterRole,
            Some("alice@example.com"),
        ),
        (
            "Identity Center role seen only through the sts ARN",
            json!({"type": "AssumedRole",
                   "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/bob"}),
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_abc",
            PrincipalType::IdentityCenterRole,
            Some("bob"),
        ),
    ]
}

fn other_cases() -> Vec<Case> {
    vec![
        (
            "IAM user",
            json!({"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/dev/alice",
                   "accountId": "111122223333", "userName": "alice"}),
            "arn:aws:iam::111122223333:user/dev/alice",
            PrincipalType::IamUser,
            None,
        ),
        (
            "IAM user without arn",
            json!({"type": "IAMUser", "accountId": "111122223333", "userName": "alice"}),
            "arn:aws:iam::111122223333:user/alice",
            PrincipalType::IamUser,
            None,
        ),
        (
            "root",
            json!({"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root",
                   "accountId": "111122223333"}),
            "arn:aws:iam::111122223333:root",
            PrincipalType::Root,
            None,
        ),
        (
            "root without arn",
            json!({"type": "Root", "accountId": "111122223333"}),
            "arn:aws:iam::111122223333:root",
            PrincipalType::Root,
            None,
        ),
        (
            "AWS service",
            json!({"type": "AWSService", "invokedBy": "bedrock.amazonaws.com"}),
            "AWSService:bedrock.amazonaws.com",
            PrincipalType::AwsService,
            None,
        ),
        (
            "federated user",
            json!({"type": "FederatedUser", "principalId": "111122223333:carol",
                   "arn": "arn:aws:sts::111122223333:federated-user/carol", "accountId": "111122223333",
                   "sessionContext": {"sessionIssuer": {"type": "IAMUser",
                       "arn": "arn:aws:iam::111122223333:user/broker"}}}),
            "arn:aws:sts::111122223333:federated-user/carol",
            PrincipalType::FederatedUser,
            Some("carol"),
        ),
        (
            "another account",
            json!({"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"}),
            "AWSAccount:444455556666",
            PrincipalType::AwsAccount,
            None,
        ),
        (
            "Identity Center user",
            json!({"type": "IdentityCenterUser", "accountId": "111122223333",
                   "onBehalfOf": {"userId": "94482488-3041-7026-18f3-be45837cd0e4",
                                  "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"}}),
            "IdentityCenterUser:94482488-3041-7026-18f3-be45837cd0e4",
            PrincipalType::IdentityCenterUser,
            None,
        ),
        (
            "web identity user keeps its type",
            json!({"type": "WebIdentityUser", "principalId": "accounts.google.com:1234", "userName": "1234"}),
            "WebIdentityUser:accounts.google.com:1234",
            PrincipalType::Other("WebIdentityUser".into()),
            None,
        ),
        ("nothing at all", json!({}), "Unknown:unknown", PrincipalType::Other("Unknown".into()), None),
    ]
}

#[test]
fn every_identity_form_normalises() {
    for (case, identity, key, kind, session) in role_cases().into_iter().chain(other_cases()) {
        let p = norm(identity);
        assert_eq!(p.key, key, "{case}");
        assert_eq!(p.kind, kind, "{case}");
        assert_eq!(p.session_name.as_deref(), session, "{case}");
    }
}

#[test]
fn sessions_of_one_role_share_the_key() {
    let session = |s: &str| {
        norm(json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::1:assumed-role/worker/{s}")}))
    };
    assert_eq!(session("a").key, session("b").key);
    assert_ne!(session("a").session_name, session("b").session_name);
}

#[test]
fn account_comes_from_the_issuer_when_missing() {
    let p = norm(json!({"type": "AssumedRole",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::777:role/r", "accountId": "777"}}}));
    assert_eq!(p.account_id.as_deref(), Some("777"));
}

#[test]
fn malformed_arns_are_not_taken_apart() {
    for arn in ["arn:aws:sts::1:assumed-role/", "arn:aws:sts::1:assumed-role/role-only", "assumed-role/r/s"] {
        assert!(parse_assumed_role(arn).is_none(), "{arn}");
    }
}
