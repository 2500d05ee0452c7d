-- Who acted, as one name every pack uses: the ARN; else the AWS service that
-- invoked the call; 'anonymous' for unauthenticated callers; else the account
-- and principal id (cross-account callers logged without an ARN).
CASE
  WHEN useridentity.accountid = 'anonymous' OR useridentity.principalid = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
  ELSE COALESCE(useridentity.arn, useridentity.invokedby,
                'account:' || useridentity.accountid || COALESCE('/' || useridentity.principalid, ''),
                useridentity.principalid, 'unknown')
END
