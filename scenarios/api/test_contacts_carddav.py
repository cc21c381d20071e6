"""Contacts over the suite's contacts protocol (CardDAV): a class's address book with Danish names."""

from __future__ import annotations

import uuid

import pytest
import vobject

from poc.protocols.webdav import resource_key


def vcard(full_name: str, family: str, given: str, email: str, org: str = "Skovbyskolen"):
    card = vobject.vCard()
    card.add("uid").value = str(uuid.uuid4())
    card.add("fn").value = full_name
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    e = card.add("email")
    e.value, e.type_param = email, "INTERNET"
    card.add("org").value = [org]
    card.add("tel").value = "+45 33 12 34 56"
    return card


@pytest.mark.requirement("CON-01", "STD-03")
def test_addressbook_created_and_listed(contacts, addressbook):
    assert resource_key(addressbook) in {resource_key(u) for u in contacts.addressbooks()}, \
        "the new address book is not among the pupil's address books"


@pytest.mark.requirement("CON-02")
def test_contact_keeps_danish_characters(contacts, addressbook):
    card = vcard("Søren Ærøskøbing-Åberg", "Ærøskøbing-Åberg", "Søren", "soeren@skovbyskolen.dk",
                 org="Skovbyskolen – Afdeling Ørum")
    url = contacts.put_card(addressbook, card.uid.value, card)
    back = contacts.get_card(url)
    assert back.fn.value == "Søren Ærøskøbing-Åberg"
    assert back.n.value.family == "Ærøskøbing-Åberg" and back.n.value.given == "Søren"
    assert back.org.value == ["Skovbyskolen – Afdeling Ørum"]


PEOPLE = [("Åse Møller", "Møller", "Åse"), ("Bjørn Ærø", "Ærø", "Bjørn"), ("Carl Hansen", "Hansen", "Carl")]


@pytest.fixture
def class_book(contacts, addressbook):
    for full, family, given in PEOPLE:
        card = vcard(full, family, given, f"{given.lower()}@skovbyskolen.dk")
        contacts.put_card(addressbook, card.uid.value, card)
    return addressbook


@pytest.mark.requirement("CON-03")
def test_search_finds_the_right_contact(contacts, class_book):
    assert [c.fn.value for c in contacts.search(class_book, "FN", "Hansen")] == ["Carl Hansen"]
    assert [c.fn.value for c in contacts.search(class_book, "FN", "hansen")] == ["Carl Hansen"], \
        "the search is not case-insensitive"
    assert [c.fn.value for c in contacts.search(class_book, "EMAIL", "carl@")] == ["Carl Hansen"]


@pytest.mark.requirement("CON-03", "CON-02")
def test_search_finds_contacts_with_danish_names(contacts, class_book):
    found = [c.fn.value for c in contacts.search(class_book, "FN", "Ærø")]
    assert found == ["Bjørn Ærø"], f"searching 'Ærø' found {found}"
    found = [c.fn.value for c in contacts.search(class_book, "FN", "møller")]
    assert found == ["Åse Møller"], f"a case-insensitive search for 'møller' found {found}"
    found = [c.fn.value for c in contacts.search(class_book, "FN", "Bj")]
    assert found == ["Bjørn Ærø"], f"searching the ASCII start 'Bj' of 'Bjørn Ærø' found {found}"
