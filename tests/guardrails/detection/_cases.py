"""Shared tables for the pattern-detector tests: positives (text, value, entity) and look-alikes.

Secret-shaped values are assembled from parts so this file does not itself look like a leak to
secret scanners.
"""

from __future__ import annotations

# --- secret-shaped test values (random, never issued) ------------------------------------------
GH = "ghp" + "_" + "q7Zk2LmX9pR4tV8wB1nC6dF3hJ5sY0aE2gKi"
GH_PAT = (
    "github"
    + "_pat_"
    + "11ABCDEFG0"
    + "aZ9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8cB7aZ6yX5wV4uT3sR2qP1oN0mL9kJ8iH7g"
)
GL = "glpat" + "-" + "xK3mZ8qLw2Rt7YvB9nCd"
OPENAI = "sk-" + "proj-" + "Xk29LmQz8Rt4Vw7YbN3cD6fG1hJ5kP0sA2eT9uI8oW4q"
OPENAI_LEGACY = "sk-" + "Fq8Lz3Xk9Wm2Rt7Vb4Nc" + "T3BlbkFJ" + "d6Gh1Js5Kp0Ae2Ty9Ui8"
ANTHROPIC = "sk-" + "ant-api03-" + "Zx8Kq2Lm7Rt4Vw9Yb3Nc6Df1Gh5Jk0Ps2Ae8Ti9Uo4Wq7Er3Ty6Ui1Op5As0Df"
SLACK = "xoxb" + "-" + "1234567890123-2345678901234-Zk3Lm8Qx2Rt7Vw9Yb4Nc6Df1"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T0A1B2C3D/B4E5F6G7H/Zk3Lm8Qx2Rt7Vw9Yb4Nc6Df1"
STRIPE = "sk" + "_live_" + "51Hq8Lz3Xk9Wm2Rt7Vb4Nc6Df1Gh"
STRIPE_RK = "rk" + "_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
GOOGLE = "AI" + "za" + "SyD3kLm8Qx2Rt7Vw9Yb4Nc6Df1Gh5Jk0Ps2A"
AWS_ID = "AK" + "IA" + "Z3MSJV4WWNKWW5FG"
AWS_ID_STS = "AS" + "IA" + "QX7LMNOP2RSTUV3W"
AWS_SECRET = "Zk3Lm8Qx2Rt7Vw9Yb4Nc" + "6Df1Gh5Jk0Ps2Ae8Ti/+"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)
PEM_OPEN = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
)

# (text, expected value, entity): the value must be reported exactly, with that entity.
POSITIVES: list[tuple[str, str, str]] = [
    # --- EMAIL_ADDRESS
    ("mail jane.doe@example.com today", "jane.doe@example.com", "EMAIL_ADDRESS"),  # plain
    (
        "<j.o'neil+tag@sub.mail.example.co.uk>",
        "j.o'neil+tag@sub.mail.example.co.uk",
        "EMAIL_ADDRESS",
    ),  # ' and + in local part
    ("say 'ann@example.com' twice", "ann@example.com", "EMAIL_ADDRESS"),  # quoted
    (
        "GET /u?email=jane.doe%40example.com&x=1",
        "jane.doe%40example.com",
        "EMAIL_ADDRESS",
    ),  # URL-encoded
    ('{"email": "ops_team-1@corp.io"}', "ops_team-1@corp.io", "EMAIL_ADDRESS"),  # in JSON
    ("From: Bob <BOB.SMITH@EXAMPLE.ORG>", "BOB.SMITH@EXAMPLE.ORG", "EMAIL_ADDRESS"),  # upper case
    ("mailto:x.y%z@example.travel", "x.y%z@example.travel", "EMAIL_ADDRESS"),  # long TLD, mailto
    # --- PHONE_NUMBER, international
    ("call +1 201-555-0123 now", "+1 201-555-0123", "PHONE_NUMBER"),  # US, E.123
    ("tel +44 7400 123456", "+44 7400 123456", "PHONE_NUMBER"),  # UK mobile
    ("mobile: +49 1512 3456789", "+49 1512 3456789", "PHONE_NUMBER"),  # Germany
    ("+33 6 12 34 56 78 (FR)", "+33 6 12 34 56 78", "PHONE_NUMBER"),  # France, pairs
    ("whatsapp +91 81234 56789", "+91 81234 56789", "PHONE_NUMBER"),  # India
    ("+55 11 96123-4567 ligue", "+55 11 96123-4567", "PHONE_NUMBER"),  # Brazil
    ("+81 90-1234-5678", "+81 90-1234-5678", "PHONE_NUMBER"),  # Japan
    ("ph +61.412.345.678", "+61.412.345.678", "PHONE_NUMBER"),  # Australia, dots
    ("+39 312 345 6789", "+39 312 345 6789", "PHONE_NUMBER"),  # Italy
    ("+31-6-12345678", "+31-6-12345678", "PHONE_NUMBER"),  # Netherlands, dashes
    ("+27 71 123 4567", "+27 71 123 4567", "PHONE_NUMBER"),  # South Africa
    ("+65 8123 4567", "+65 8123 4567", "PHONE_NUMBER"),  # Singapore
    ("+82 10-2000-0000", "+82 10-2000-0000", "PHONE_NUMBER"),  # Korea
    ("+12015550123", "+12015550123", "PHONE_NUMBER"),  # E.164, no separators
    ("0044 7400 123456", "0044 7400 123456", "PHONE_NUMBER"),  # 00 international prefix
    ("order 1234567; +1 415 555 0100; plan", "+1 415 555 0100", "PHONE_NUMBER"),  # id word nearby
    # --- PHONE_NUMBER, national formats
    ("call (201) 555-0123", "(201) 555-0123", "PHONE_NUMBER"),  # US parentheses
    ("at 201.555.0123 or", "201.555.0123", "PHONE_NUMBER"),  # US dots
    ("at 201-555-0123.", "201-555-0123", "PHONE_NUMBER"),  # US dashes
    ("1-800-555-0199 toll free", "1-800-555-0199", "PHONE_NUMBER"),  # US with trunk 1
    ("Desk: 201-555-0123 x42", "201-555-0123 x42", "PHONE_NUMBER"),  # extension
    ("UK office 07400 123456", "07400 123456", "PHONE_NUMBER"),  # UK trunk 0
    ("Paris 06 12 34 56 78", "06 12 34 56 78", "PHONE_NUMBER"),  # France trunk 0
    ("Berlin 01512 3456789", "01512 3456789", "PHONE_NUMBER"),  # Germany trunk 0
    ("phone: 2015550123", "2015550123", "PHONE_NUMBER"),  # digits only, with a cue
    ("Phone:\n467 3395", "467 3395", "PHONE_NUMBER"),  # short local number after a cue
    # --- US_SSN
    ("SSN 123-45-6788", "123-45-6788", "US_SSN"),  # dashes
    ("ssn: 536 22 8726", "536 22 8726", "US_SSN"),  # spaces, with context
    ("social security number 536228726", "536228726", "US_SSN"),  # bare, with context
    ("employee 536-22-8726 on file", "536-22-8726", "US_SSN"),  # dashes, no context
    # --- CREDIT_CARD (Luhn-valid test numbers of each brand)
    ("visa 4111 1111 1111 1111", "4111 1111 1111 1111", "CREDIT_CARD"),  # Visa, spaces
    ("card 4111-1111-1111-1111 exp", "4111-1111-1111-1111", "CREDIT_CARD"),  # Visa, dashes
    ("4000000000000000006", "4000000000000000006", "CREDIT_CARD"),  # Visa, 19 digits
    ("4222222222222", "4222222222222", "CREDIT_CARD"),  # Visa, 13 digits
    ("mc 5555 5555 5555 4444", "5555 5555 5555 4444", "CREDIT_CARD"),  # Mastercard 5-series
    ("2223003122003222", "2223003122003222", "CREDIT_CARD"),  # Mastercard 2-series
    ("amex 3782 822463 10005", "3782 822463 10005", "CREDIT_CARD"),  # Amex 4-6-5
    ("6011111111111117", "6011111111111117", "CREDIT_CARD"),  # Discover
    ("jcb 3530111333300000", "3530111333300000", "CREDIT_CARD"),  # JCB
    ("diners 30569309025904", "30569309025904", "CREDIT_CARD"),  # Diners, 14 digits
    ("unionpay 6214830000000009", "6214830000000009", "CREDIT_CARD"),  # UnionPay
    ("maestro 6759000000000000", "6759000000000000", "CREDIT_CARD"),  # Maestro
    ('"card": "4111111111111111"', "4111111111111111", "CREDIT_CARD"),  # in JSON
    (
        "plan B-42 4111 1111 1111 1111 plan",
        "4111 1111 1111 1111",
        "CREDIT_CARD",
    ),  # number glued before
    (
        "4111 1111 1111 1111 5555 5555 5555 4444",
        "5555 5555 5555 4444",
        "CREDIT_CARD",
    ),  # two in a row
    # --- IBAN_CODE
    ("IBAN DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "IBAN_CODE"),  # grouped
    ("to DE89370400440532013000.", "DE89370400440532013000", "IBAN_CODE"),  # compact
    (
        "GB82 WEST 1234 5698 7654 32 EUR",
        "GB82 WEST 1234 5698 7654 32",
        "IBAN_CODE",
    ),  # trailing word
    ("FR1420041010050500013M02606", "FR1420041010050500013M02606", "IBAN_CODE"),  # France
    ("NL91ABNA0417164300", "NL91ABNA0417164300", "IBAN_CODE"),  # Netherlands
    ("ES91 2100 0418 4502 0005 1332", "ES91 2100 0418 4502 0005 1332", "IBAN_CODE"),  # Spain
    ("CH9300762011623852957", "CH9300762011623852957", "IBAN_CODE"),  # Switzerland
    ("my iban is gb82west12345698765432", "gb82west12345698765432", "IBAN_CODE"),  # lower case
    # --- IP_ADDRESS
    ("from 192.168.1.10 port", "192.168.1.10", "IP_ADDRESS"),  # private v4
    ("client=8.8.8.8;", "8.8.8.8", "IP_ADDRESS"),  # after =
    ("10.0.0.0/8 range", "10.0.0.0", "IP_ADDRESS"),  # CIDR
    ("v6 2001:db8::8a2e:370:7334 up", "2001:db8::8a2e:370:7334", "IP_ADDRESS"),  # compressed v6
    ("fe80:0:0:0:202:b3ff:fe1e:8329", "fe80:0:0:0:202:b3ff:fe1e:8329", "IP_ADDRESS"),  # full v6
    ("bind ::1 only", "::1", "IP_ADDRESS"),  # loopback v6
    ("::ffff:192.0.2.128 mapped", "::ffff:192.0.2.128", "IP_ADDRESS"),  # v4-mapped v6
    # --- MAC_ADDRESS
    ("mac 00:1A:2B:3C:4D:5E up", "00:1A:2B:3C:4D:5E", "MAC_ADDRESS"),  # colons
    ("hw 00-1a-2b-3c-4d-5e", "00-1a-2b-3c-4d-5e", "MAC_ADDRESS"),  # dashes
    ("cisco 001a.2b3c.4d5e", "001a.2b3c.4d5e", "MAC_ADDRESS"),  # Cisco dotted
    # --- URL_CREDENTIALS / PASSWORD in connection strings
    ("https://bob:hunter2@example.com/x", "bob:hunter2", "URL_CREDENTIALS"),  # web URL
    ("ftp://admin:S3cr%40t@files.example.com", "admin:S3cr%40t", "URL_CREDENTIALS"),  # encoded @
    ("postgres://app:s3cr3tPw@db:5432/app", "s3cr3tPw", "PASSWORD"),  # database URL
    ("jdbc:mysql://admin:vn^3m*RBP@10.0.0.5:3306/db", "vn^3m*RBP", "PASSWORD"),  # jdbc, symbols
    ("redis://:Qk55Es3d!f^@cache:6379/0", "Qk55Es3d!f^", "PASSWORD"),  # no user name
    ("mongodb+srv://u:pa55w0rd@cluster0.example.net", "pa55w0rd", "PASSWORD"),  # scheme with +
]

SECRETS: list[tuple[str, str, str]] = [
    (f"token {GH} ok", GH, "GITHUB_TOKEN"),  # classic PAT
    (f"GH={GH_PAT}", GH_PAT, "GITHUB_TOKEN"),  # fine-grained PAT
    (f"use {GL}", GL, "GITLAB_TOKEN"),  # GitLab PAT
    (f"key={OPENAI}", OPENAI, "OPENAI_API_KEY"),  # project key
    (f"{OPENAI_LEGACY} was leaked", OPENAI_LEGACY, "OPENAI_API_KEY"),  # legacy key
    (f'"x": "{ANTHROPIC}"', ANTHROPIC, "ANTHROPIC_API_KEY"),  # Anthropic, in JSON
    (f"bot {SLACK}", SLACK, "SLACK_TOKEN"),  # bot token
    (f"post to {SLACK_HOOK} now", SLACK_HOOK, "SLACK_TOKEN"),  # webhook URL
    (f"charge with {STRIPE}", STRIPE, "STRIPE_KEY"),  # live secret key
    (f"{STRIPE_RK}", STRIPE_RK, "STRIPE_KEY"),  # restricted test key
    (f"maps key {GOOGLE}", GOOGLE, "GOOGLE_API_KEY"),  # Google API key
    (f"id {AWS_ID}", AWS_ID, "AWS_ACCESS_KEY_ID"),  # AKIA
    (f"sts {AWS_ID_STS}", AWS_ID_STS, "AWS_ACCESS_KEY_ID"),  # ASIA (temporary)
    (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET, "AWS_SECRET_ACCESS_KEY"),  # ini
    (f'"SecretAccessKey": "{AWS_SECRET}"', AWS_SECRET, "AWS_SECRET_ACCESS_KEY"),  # JSON
    (f"session {JWT} end", JWT, "JWT"),  # JWT
    (f"key:\n{PEM}\nnext", PEM, "PRIVATE_KEY"),  # whole PEM block
    (f"truncated {PEM_OPEN}", PEM_OPEN.rstrip("\n"), "PRIVATE_KEY"),  # PEM without END
    (f"{PEM_OPEN}\nThanks for the help", PEM_OPEN.rstrip("\n"), "PRIVATE_KEY"),  # prose after it
    (  # JSON-escaped PEM without END
        '{"key": "' + PEM_OPEN.replace("\n", "\\n") + '", "n": 1}',
        PEM_OPEN.replace("\n", "\\n")[:-2],
        "PRIVATE_KEY",
    ),
    (
        "Authorization: Bearer abcDEF123456ghiJKL789",
        "abcDEF123456ghiJKL789",
        "BEARER_TOKEN",
    ),  # header
    (
        "curl -H 'authorization: bearer Zk3Lm8Qx2Rt7Vw9Y'",
        "Zk3Lm8Qx2Rt7Vw9Y",
        "BEARER_TOKEN",
    ),  # lower
    ("DB_PASSWORD=hunter2", "hunter2", "PASSWORD"),  # .env
    ('{"password": "correct horse battery"}', "correct horse battery", "PASSWORD"),  # JSON, spaces
    ("Server=db;User Id=sa;Password=P@ssw0rd!;", "P@ssw0rd!", "PASSWORD"),  # ADO.NET
    ("pwd: 'Tr0ub4dor&3'", "Tr0ub4dor&3", "PASSWORD"),  # YAML, quoted
    ("login --password=Xy9#kL2m", "Xy9#kL2m", "PASSWORD"),  # CLI flag
    ('{\\"db_pass\\": \\"s3cr3t\\"}', "s3cr3t", "PASSWORD"),  # JSON inside a JSON string
    ("my password is Tr0ub4dor&3.", "Tr0ub4dor&3", "PASSWORD"),  # prose
    ("API_TOKEN=f3b9c2a7e1d84c6b", "f3b9c2a7e1d84c6b", "SECRET"),  # generic token
    ('client_secret: "Zk3Lm8Qx2Rt7Vw9Yb4Nc"', "Zk3Lm8Qx2Rt7Vw9Yb4Nc", "SECRET"),  # OAuth secret
    ("X-Api-Key: 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a39281706", "SECRET"),  # HTTP header
    ("webhookSecret=whk_9Zq2Lm8Rt4Vw", "whk_9Zq2Lm8Rt4Vw", "SECRET"),  # camelCase key
    ("SESSION_KEY=Zk3Lm8Qx2Rt7Vw9Y", "Zk3Lm8Qx2Rt7Vw9Y", "SECRET"),  # *_KEY, high entropy
    ('signingKey: "Zk3Lm8Qx2Rt7Vw9Y"', "Zk3Lm8Qx2Rt7Vw9Y", "SECRET"),  # camelCase *Key
    ("https://api.example.com/cb?token=Zk3Lm8Qx2Rt7&x=1", "Zk3Lm8Qx2Rt7", "SECRET"),  # query
    ("Driver={ODBC};Uid=sa;Pwd={p@ss;w0rd};", "p@ss;w0rd", "PASSWORD"),  # ODBC braces
    ("curl -u admin:Adm1nPa55 https://x.example.com", "Adm1nPa55", "PASSWORD"),  # curl basic auth
    ("<user>sa</user><password>Xy9#kL2m</password>", "Xy9#kL2m", "PASSWORD"),  # XML element
    (
        "<ns:ApiKey>\n  Zk3Lm8Qx2Rt7Vw9Yb4Nc\n</ns:ApiKey>",
        "Zk3Lm8Qx2Rt7Vw9Yb4Nc",
        "SECRET",
    ),  # namespaced
    ("mysql -h db -u root -pS3cretPass app", "S3cretPass", "PASSWORD"),  # mysql glued -p
    (
        "NPM_CONFIG=" + "npm_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",
        "npm_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",
        "SECRET",
    ),  # npm token
    (
        "hf " + "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH",
        "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH",
        "SECRET",
    ),  # Hugging Face
    ("Cookie: sessionid=Zk3Lm8Qx2Rt7Vw9Yb4Nc", "Zk3Lm8Qx2Rt7Vw9Yb4Nc", "SECRET"),  # session cookie
    ('"session_token": "Zk3Lm8Qx2Rt7Vw9Yb4Nc"', "Zk3Lm8Qx2Rt7Vw9Yb4Nc", "SECRET"),  # session token
]

# (text, what it is): nothing in the text may be reported.
LOOKALIKES: list[tuple[str, str]] = [
    ("release version 1.2.3.4 shipped", "version string after 'version'"),
    ("upgrade to v1.2.3.4 now", "version string with v"),
    ("tag v2.0.1 and 1.24.3", "semver"),
    ("Build 10.0.19045.3693", "Windows build number"),
    ("id 550e8400-e29b-41d4-a716-446655440000", "UUID"),
    ("commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "git SHA-1"),
    ("sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "SHA-256"),
    ("at 2024-01-15T10:30:00Z", "ISO timestamp"),
    ("at 2024-01-15 10:30:00.123", "log timestamp"),
    ("on 15/01/2024 and 01.02.2024", "dates"),
    ("epoch 1700000000 ms 1700000000123", "unix timestamps"),
    ("Order ORD-2024-558812 shipped", "order number"),
    ("SKU-55729-BL in stock", "SKU"),
    ("invoice INV-2023-28795 due", "invoice number"),
    ("Order #4155550123 confirmed", "order number that looks like a phone"),
    ("SUMMARY:Renewal call ORD-2026-137168", "order id after a phone cue"),
    ("SUMMARY:Renewal call #9836228", "ticket number after a phone cue"),
    ("tracking 1Z999AA10123456784", "UPS tracking number"),
    ("card 4111 1111 1111 1112", "card number failing Luhn"),
    ("card 6446 3470 8498 3745 453", "grouped number failing Luhn"),
    ("IBAN DE89370400440532013001", "IBAN failing its checksum"),
    ("ssn 000-12-3456 / 666-12-3456 / 900-12-3456", "SSNs in never-issued ranges"),
    ("ssn 123-00-4567 and 123-45-0000", "SSNs with zero group or serial"),
    ("ref 123456789", "nine digits without SSN context"),
    ("AKIAIOSFODNN7EXAMPLE", "AWS documented example key id"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS documented secret"),
    ("hello <EMAIL_ADDRESS_1> and <PHONE_NUMBER_12>", "our own placeholders"),
    ("password=${DB_PASSWORD}", "environment reference"),
    ("password: changeme", "well-known placeholder"),
    ('"api_key": "<your-api-key>"', "template placeholder"),
    ("token: {{ secrets.GITHUB_TOKEN }}", "CI secret reference"),
    ("password = os.environ['DB_PASSWORD']", "code reading a secret"),
    ("password: ********", "already masked"),
    ('"password": null', "null"),
    ("password: |\n  multi", "YAML block marker"),
    ("session: active", "session state word"),
    ("secret_key = get_secret('app')", "code computing a secret"),
    ("sudo -u postgres psql", "user name only"),
    ("<password>${DB_PASSWORD}</password>", "XML element holding a reference"),
    ("<auth><user>x</user></auth>", "XML element holding elements"),
    ("mysql -u root -p app", "password prompt"),
    ("trace session=c4d88273-eb35-4402-97a7-31d512ff6d96", "a log's session id (a UUID)"),
    ("Reset your password: click the link", "prose with a colon"),
    ("max_tokens: 4096, token_count=1200", "token counts"),
    ('"token_type": "bearer"', "token type"),
    ("author=jdoe", "author is not auth"),
    ("sortKey: created_at, primaryKey: id", "keys that are not secrets"),
    ("listen localhost:8080 and 10:30:45", "port and time"),
    ("color #ff00aa and 0xdeadbeef", "hex literals"),
    ("std::vector<int> and Foo::Bar", "C++ scope operator"),
    ("fingerprint aa:bb:cc:dd:ee:ff:00:11:22:33", "fingerprint longer than a MAC"),
    ("ISBN 978-3-16-148410-0", "ISBN"),
    ("git@github.com:org/repo.git", "SSH remote"),
    ("Message-ID: <550e8400-e29b-41d4-a716-446655440000@mail.example.com>", "message id"),
    ("Bearer <token>", "bearer placeholder"),
    ("price 1,234,567.89 USD", "amount"),
    ("pi 3.14159265358979", "decimal"),
]
