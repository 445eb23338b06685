"""Organizations' ListAccounts, over the organisation moto keeps.

moto creates organisations, accounts (CreateAccount), closes them (CloseAccount: SUSPENDED)
and registers delegated administrators; every other Organizations call goes to moto
unchanged. Its ListAccounts answers any caller from that caller's own account (a member
account gets an empty list, an account outside any organisation too), accepts any
MaxResults and defaults to 100 a page. The gateway answers ListAccounts itself, from
moto's organisation, by these rules of the Organizations API Reference (ListAccounts,
and the service model botocore ships):
- "You can only call this operation from the management account or a member account
  that is a delegated administrator." Another member account is refused with
  AccessDeniedException ("You don't have permissions to perform the requested
  operation."); an account in no organisation with AWSOrganizationsNotInUseException
  ("Your account isn't a member of an organization. To make this request, you must use
  the credentials of an account that belongs to an organization.").
- MaxResults: integer, min 1, max 20. Out of range is InvalidInputException with the
  reason MIN_VALUE_EXCEEDED / MAX_VALUE_EXCEEDED ("You provided a numeric parameter that
  has a smaller / larger value than allowed."). Without it the page size is "a value
  that is specific to the operation", which the reference does not give: the emulator
  uses the maximum, 20.
- NextToken: present when more output is available, null at the end; a token the
  service did not hand out is InvalidInputException, reason INVALID_NEXT_TOKEN.
- "These operations can occasionally return an empty set of results even when more
  results are available. Continue making requests until NextToken returns null."
  Tests can ask for that (settings: {"empty_page_first": true}): a listing's first page
  is then empty, with a NextToken.
Accounts keep moto's order (the order they joined) and its description of each (Id,
Arn, Email, Name, Status, State, JoinedMethod, JoinedTimestamp).
"""

import base64
import threading

from moto.organizations.models import organizations_backends

PARTITION = "aws"
MAX_RESULTS = 20
TOKEN_PREFIX = "bcm-org:"


class OrganizationsError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _invalid(reason, text):
    return OrganizationsError("InvalidInputException", f"{reason}: {text}")


class Organizations:
    def __init__(self):
        self._lock = threading.Lock()
        self._settings = {}

    def reset(self):
        with self._lock:
            self._settings = {}
        # moto's reset empties each account's backend but not this map of member
        # accounts to their management account, which would outlive the organisation.
        organizations_backends.master_accounts.clear()

    def settings(self, document):
        if not isinstance(document, dict) or set(document) - {"empty_page_first"}:
            raise ValueError('settings are {"empty_page_first": bool}')
        with self._lock:
            self._settings.update(document)

    def list_accounts(self, account_id, params):
        accounts = _visible_accounts(account_id)
        size = _page_size(params.get("MaxResults"))
        token = params.get("NextToken")
        with self._lock:
            empty_first = bool(self._settings.get("empty_page_first"))
        if token is None and empty_first:
            return {"Accounts": [], "NextToken": _token(0)}
        start = 0 if token is None else _offset(token)
        page = [a.describe() for a in accounts[start:start + size]]
        following = start + size
        return {"Accounts": page, "NextToken": _token(following) if following < len(accounts) else None}


def _visible_accounts(account_id):
    """The organisation's accounts, if `account_id` may list them."""
    own = organizations_backends[account_id][PARTITION]
    if own.org is not None:
        return list(own.accounts)  # the management account
    membership = organizations_backends.master_accounts.get(account_id)
    if membership is None:
        raise OrganizationsError(
            "AWSOrganizationsNotInUseException",
            "Your account isn't a member of an organization. To make this request, you must use the "
            "credentials of an account that belongs to an organization.",
        )
    management = organizations_backends[membership[0]][membership[1]]
    if not any(admin.account.id == account_id for admin in management.admins):
        raise OrganizationsError("AccessDeniedException", "You don't have permissions to perform the requested operation.")
    return list(management.accounts)


def _page_size(value):
    if value is None:
        return MAX_RESULTS
    if not isinstance(value, int) or isinstance(value, bool):
        raise OrganizationsError("SerializationException", f"MaxResults is not an integer: {value!r}")
    if value < 1:
        raise _invalid("MIN_VALUE_EXCEEDED", "You provided a numeric parameter that has a smaller value than allowed.")
    if value > MAX_RESULTS:
        raise _invalid("MAX_VALUE_EXCEEDED", "You provided a numeric parameter that has a larger value than allowed.")
    return value


def _token(offset):
    return base64.urlsafe_b64encode(f"{TOKEN_PREFIX}{offset}".encode()).decode()


def _offset(token):
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith(TOKEN_PREFIX):
            offset = int(text[len(TOKEN_PREFIX):])
            if offset >= 0:
                return offset
    except (ValueError, UnicodeDecodeError, AttributeError):
        pass
    raise _invalid("INVALID_NEXT_TOKEN", "You specified an invalid value for the nextToken parameter.")

