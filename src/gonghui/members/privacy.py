"""The privacy notice an applicant agrees to before joining (PIPL Art. 14, 17, 29 and 30).

An ID number and a mobile phone number are sensitive personal information when leaked together
(the ID number is listed in the national standard GB/T 35273); processing them needs the
person's separate, explicit consent after a notice that says why they are needed, who holds them,
how long they are kept and how to withdraw. The text lives in
``members/templates/members/h5/privacy.html``; whenever it changes in substance, raise
:data:`PRIVACY_NOTICE_VERSION`: every enrolment records the version its applicant agreed to, and an
application sent with an older version (a page left open across the change) is refused so that the
applicant reads the new text.
"""

from __future__ import annotations

PRIVACY_NOTICE_VERSION = "2026-12-03"
