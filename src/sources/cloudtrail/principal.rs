//! Who made a call: a CloudTrail `userIdentity` reduced to one stable
//! principal key, so every session of a role and every form of a user count
//! as the same caller.
//!
//! The key is an IAM ARN whenever one exists (`arn:<partition>:iam::<account>:user/…`,
//! `…:role/<path/name>` for assumed roles, `…:root`, the `sts` federated-user
//! ARN); identities without an ARN get `<type>:<id>`, which can never be
//! mistaken for an ARN (`AWSService:bedrock.amazonaws.com`,
//! `AWSAccount:111122223333`, `IdentityCenterUser:<user id>`).
//!
//! Pure: must not parse whole events or look anything up.

use std::fmt;

use serde::Deserialize;

/// The `userIdentity` fields that identify a caller; everything else is ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub principal_id: Option<String>,
    pub arn: Option<String>,
    pub account_id: Option<String>,
    pub user_name: Option<String>,
    pub invoked_by: Option<String>,
    pub session_context: Option<SessionContext>,
    pub on_behalf_of: Option<OnBehalfOf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionContext {
    pub session_issuer: Option<SessionIssuer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionIssuer {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub arn: Option<String>,
    pub account_id: Option<String>,
    pub user_name: Option<String>,
}

/// IAM Identity Center user behind a request (`type: IdentityCenterUser`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OnBehalfOf {
    pub user_id: Option<String>,
    pub identity_store_arn: Option<String>,
}

/// What kind of identity called.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalType {
    Root,
    IamUser,
    /// A role session (key: the role ARN; the session name is kept apart).
    AssumedRole,
    /// A role session of an IAM Identity Center permission set
    /// (`AWSReservedSSO_…`); the session name is usually the person.
    IdentityCenterRole,
    /// A request made on behalf of an Identity Center user (`onBehalfOf`).
    IdentityCenterUser,
    FederatedUser,
    AwsService,
    AwsAccount,
    /// Any other `type` CloudTrail writes (`SAMLUser`, `WebIdentityUser`,
    /// `Directory`, `Unknown`, …), kept verbatim.
    Other(String),
}

impl PrincipalType {
    pub fn as_str(&self) -> &str {
        match self {
            PrincipalType::Root => "Root",
            PrincipalType::IamUser => "IAMUser",
            PrincipalType::AssumedRole => "AssumedRole",
            PrincipalType::IdentityCenterRole => "IdentityCenterRole",
            PrincipalType::IdentityCenterUser => "IdentityCenterUser",
            PrincipalType::FederatedUser => "FederatedUser",
            PrincipalType::AwsService => "AWSService",
            PrincipalType::AwsAccount => "AWSAccount",
            PrincipalType::Other(t) => t,
        }
    }
}

impl fmt::Display for PrincipalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalised caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The stable key (see the module documentation).
    pub key: String,
    pub kind: PrincipalType,
    /// Role session name (assumed roles, Identity Center roles) or federated user name.
    pub session_name: Option<String>,
    pub account_id: Option<String>,
}

const SSO_ROLE_PREFIX: &str = "AWSReservedSSO_";
const SSO_ROLE_PATH: &str = "/aws-reserved/sso.amazonaws.com/";

/// Normalises a `userIdentity`; never fails (the weakest identities become
/// `<type>:<principalId>`).
pub fn normalise(id: &UserIdentity) -> Principal {
    let kind_text = id.kind.as_deref().unwrap_or("Unknown");
    let issuer = id.session_context.as_ref().and_then(|c| c.session_issuer.as_ref());
    let account_id = id.account_id.clone().or_else(|| issuer.and_then(|i| i.account_id.clone()));
    let (key, kind, session_name) = match kind_text {
        "AssumedRole" => assumed_role(id, issuer),
        "IAMUser" => (iam_user(id), PrincipalType::IamUser, None),
        "Root" => (root(id), PrincipalType::Root, None),
        "FederatedUser" => federated(id),
        "AWSService" => (synthetic(kind_text, id.invoked_by.as_deref(), id), PrincipalType::AwsService, None),
        "AWSAccount" => (synthetic(kind_text, id.account_id.as_deref(), id), PrincipalType::AwsAccount, None),
        "IdentityCenterUser" => identity_center_user(id),
        other => {
            let key = id.arn.clone().unwrap_or_else(|| synthetic(other, None, id));
            (key, PrincipalType::Other(other.to_string()), None)
        }
    };
    Principal { key, kind, session_name, account_id }
}

/// The role, not the session: from the issuer's ARN (it keeps the role path),
/// else rebuilt from `arn:<p>:sts::<acct>:assumed-role/<name>/<session>`.
fn assumed_role(
    id: &UserIdentity,
    issuer: Option<&SessionIssuer>,
) -> (String, PrincipalType, Option<String>) {
    let from_arn = id.arn.as_deref().and_then(parse_assumed_role);
    let role = issuer
        .and_then(|i| i.arn.clone())
        .filter(|a| a.contains(":role/"))
        .or_else(|| from_arn.as_ref().map(|r| r.role_arn()))
        .or_else(|| id.arn.clone())
        .unwrap_or_else(|| synthetic("AssumedRole", None, id));
    let session = from_arn
        .map(|r| r.session.to_string())
        .or_else(|| id.principal_id.as_deref().and_then(|p| p.split_once(':')).map(|(_, s)| s.to_string()));
    let name = role.rsplit('/').next().unwrap_or_default();
    let kind = if name.starts_with(SSO_ROLE_PREFIX) || role.contains(SSO_ROLE_PATH) {
        PrincipalType::IdentityCenterRole
    } else {
        PrincipalType::AssumedRole
    };
    (role, kind, session)
}

struct AssumedRoleArn<'a> {
    partition: &'a str,
    account: &'a str,
    role: &'a str,
    session: &'a str,
}

impl AssumedRoleArn<'_> {
    fn role_arn(&self) -> String {
        format!("arn:{}:iam::{}:role/{}", self.partition, self.account, self.role)
    }
}

fn parse_assumed_role(arn: &str) -> Option<AssumedRoleArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("sts"), Some(_), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (role, session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    (!role.is_empty() && !session.is_empty()).then_some(AssumedRoleArn { partition, account, role, session })
}

fn iam_user(id: &UserIdentity) -> String {
    if let Some(arn) = &id.arn {
        return arn.clone();
    }
    match (&id.account_id, &id.user_name) {
        (Some(account), Some(name)) => format!("arn:aws:iam::{account}:user/{name}"),
        _ => synthetic("IAMUser", id.user_name.as_deref(), id),
    }
}

fn root(id: &UserIdentity) -> String {
    match (&id.arn, &id.account_id) {
        (Some(arn), _) => arn.clone(),
        (None, Some(account)) => format!("arn:aws:iam::{account}:root"),
        (None, None) => synthetic("Root", None, id),
    }
}

fn federated(id: &UserIdentity) -> (String, PrincipalType, Option<String>) {
    let name = id.arn.as_deref().and_then(|a| a.split_once(":federated-user/")).map(|(_, n)| n.to_string());
    let key = id.arn.clone().unwrap_or_else(|| synthetic("FederatedUser", None, id));
    (key, PrincipalType::FederatedUser, name)
}

fn identity_center_user(id: &UserIdentity) -> (String, PrincipalType, Option<String>) {
    let user = id.on_behalf_of.as_ref().and_then(|o| o.user_id.as_deref());
    (synthetic("IdentityCenterUser", user, id), PrincipalType::IdentityCenterUser, None)
}

/// `<type>:<id>`, with the principal ID (or "unknown") when no better ID exists.
fn synthetic(kind: &str, preferred: Option<&str>, id: &UserIdentity) -> String {
    let ident = preferred.or(id.principal_id.as_deref()).filter(|s| !s.is_empty()).unwrap_or("unknown");
    format!("{kind}:{ident}")
}

#[cfg(test)]
#[path = "principal_tests.rs"]
mod tests;
