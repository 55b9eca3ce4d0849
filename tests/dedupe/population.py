"""A base of distinct private clients for tests of the match probability: enough people for the model's estimates to
mean something (its u from random pairs, its value shares, its prior), none of them a duplicate of another.

Typical use::

    clients = distinct_clients(200, seed=1) + [planted pair ...]
    plan = plan_for(tmp_path, clients)
"""

from __future__ import annotations

import datetime as dt
import random

from xlcrm.create.demo_data import CITIES, FEMALE_NAMES, MALE_NAMES, PATRONYMICS, STREETS, SURNAMES, female_surname

# The ClientIDs of the generated clients start here, so a test's own clients can be numbered 1, 2, 3 ...
FIRST_NUMBER = 1000
FIRST_CREATED = dt.date(2020, 1, 1)


def person_name(rng: random.Random) -> str:
    """A random Russian full name, surname first, male or female forms in agreement."""
    surname, (male, female) = rng.choice(SURNAMES), rng.choice(PATRONYMICS)
    if rng.random() < 0.5:
        return f"{surname} {rng.choice(MALE_NAMES)} {male}"
    return f"{female_surname(surname)} {rng.choice(FEMALE_NAMES)} {female}"


def distinct_clients(count: int, seed: int) -> list[dict[str, object]]:
    """``count`` Clients records (schema column keys) of different people: a name not repeated, a birthday, a city,
    an address, a mobile phone of their own and an email for half of them."""
    rng = random.Random(seed)
    names: set[str] = set()
    clients: list[dict[str, object]] = []
    while len(clients) < count:
        name = person_name(rng)
        if name in names:
            continue
        names.add(name)
        number = FIRST_NUMBER + len(clients)
        digits = f"{number:07d}"  # a phone no other client has
        clients.append(
            {
                "client_id": f"C{number:06d}",
                "name": name,
                "manager": "Anna",
                "created": FIRST_CREATED + dt.timedelta(days=len(clients)),
                "birthday": dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55)),
                "city": rng.choice(CITIES).name,
                "address": f"{rng.choice(STREETS)}, д. {rng.randint(1, 150)}, кв. {rng.randint(1, 300)}",
                "phone": f"+7 926 {digits[:3]}-{digits[3:5]}-{digits[5:]}",
                "email": f"client{number}@example.ru" if rng.random() < 0.5 else None,
            }
        )
    return clients
