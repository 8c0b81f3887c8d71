"""The demo business's clients, jobs and the work around them: contacts, projects, appointments,
reviews and tasks."""

from __future__ import annotations

from .base import Calendar, project


def contacts(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"first_name": "Maria", "last_name": "Lopez", "email": "maria.lopez@example.com",
         "phone": "555-0101", "contact_type": "client", "address": "4 Oak Lane"},
        {"first_name": "Tom", "last_name": "Henderson", "email": "tom@hendersonfamily.example",
         "phone": "555-0102", "contact_type": "client", "address": "77 Birch Road"},
        {"first_name": "Priya", "last_name": "Shah", "email": "priya.shah@example.com",
         "contact_type": "lead", "notes": "Asked about cabinet refinishing"},
        {"first_name": "Dan", "last_name": "Smith", "company": "Smith Dental",
         "email": "office@smithdental.example", "contact_type": "client"},
        {"first_name": "Grace", "last_name": "Kim", "contact_type": "past_client",
         "email": "grace.kim@example.com"},
        {"first_name": "Lee", "last_name": "Park", "company": "Park Paint Supply",
         "contact_type": "vendor", "phone": "555-0190"},
        {"first_name": "Jorge", "last_name": "Alvarez", "contact_type": "subcontractor",
         "phone": "555-0177", "notes": "Drywall repair"},
        {"first_name": "Nina", "last_name": "Brooks", "company": "Brooks Realty",
         "contact_type": "partner", "email": "nina@brooksrealty.example"},
    ]
    # fmt: on


def projects(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"name": "Henderson exterior repaint", "client_name": "Tom Henderson",
         "address": "77 Birch Road", "status": "in_progress", "start_date": cal.d(-10),
         "end_date": cal.d(5), "budget": 12000, "actual_cost": 7400, "progress": 60,
         "crew": ["Luis", "Maya"],
         "materials": [material("Exterior primer", 10, "gallons", 32),
                       material("Exterior satin paint", 12, "gallons", 45)]},
        {"name": "Smith Dental office interior", "client_name": "Dan Smith",
         "status": "in_progress", "start_date": cal.d(-3), "end_date": cal.d(10), "budget": 8500,
         "actual_cost": 2100, "progress": 25, "crew": ["Jake"],
         "materials": [material("Interior eggshell paint", 8, "gallons", 38)]},
        {"name": "Lopez kitchen cabinets", "client_name": "Maria Lopez", "status": "planning",
         "start_date": cal.d(14), "budget": 4200},
        {"name": "Kim deck staining", "client_name": "Grace Kim", "status": "completed",
         "start_date": cal.d(-60), "end_date": cal.d(-52), "completed_on": cal.d(-52),
         "budget": 2500, "actual_cost": 2350, "progress": 100},
    ]
    # fmt: on


def material(name: str, quantity: float, unit: str, cost: float) -> dict:
    return {"name": name, "quantity": quantity, "unit": unit, "cost": cost}


def appointments(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"title": "Estimate: Lopez cabinets", "client_name": "Maria Lopez",
         "appointment_type": "estimate", "start_time": cal.at(cal.day(1), 9),
         "end_time": cal.at(cal.day(1), 10), "location": "4 Oak Lane"},
        {"title": "Henderson final walk-through", "client_name": "Tom Henderson",
         "appointment_type": "site_visit", "start_time": cal.at(cal.day(2), 14),
         "end_time": cal.at(cal.day(2), 15), "status": "confirmed"},
        {"title": "Smith Dental: paint day", "client_name": "Dan Smith",
         "appointment_type": "job", "start_time": cal.at(cal.monday(0), 8),
         "end_time": cal.at(cal.monday(0), 16), "location": "Smith Dental"},
        {"title": "Consultation: Priya Shah", "client_name": "Priya Shah",
         "appointment_type": "consultation", "start_time": cal.at(cal.monday(2), 11),
         "end_time": cal.at(cal.monday(2), 12)},
    ]
    # fmt: on


def reviews(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        # Grace Kim reviewed an earlier job, not her deck finished last month: one to ask.
        {"reviewer_name": "Grace Kim", "rating": 5, "platform": "google",
         "review_date": cal.d(-400), "comment": "Living room looks brand new. Careful, tidy crew."},
        {"reviewer_name": "Sofia Reyes", "rating": 5, "platform": "google",
         "review_date": cal.d(-160), "comment": "Our porch and railings look fantastic."},
        {"reviewer_name": "Ben Carter", "rating": 2, "platform": "yelp", "review_date": cal.d(-140),
         "comment": "Trim started peeling after a month.",
         "response": "Ben, we're sorry. We'll redo the trim at no cost.",
         "responded_at": cal.at(cal.day(-138), 9)},
        {"reviewer_name": "Julia Chen", "rating": 5, "platform": "facebook",
         "review_date": cal.d(-105), "comment": "Fast, friendly and spotless.",
         "response": "Thanks, Julia!", "responded_at": cal.at(cal.day(-104), 11)},
        {"reviewer_name": "Omar Haddad", "rating": 5, "platform": "google",
         "review_date": cal.d(-75), "comment": "Best painters in town."},
        {"reviewer_name": "Alan Cho", "rating": 4, "platform": "yelp", "review_date": cal.d(-30),
         "comment": "Great finish, started a day late."},
        {"reviewer_name": "Rita Gomez", "rating": 5, "platform": "houzz",
         "review_date": cal.d(-12), "comment": "Helped us pick colors and finished early.",
         "response": "Thank you, Rita!", "responded_at": cal.at(cal.day(-11), 10)},
        {"reviewer_name": "Mark Ellis", "rating": 3, "platform": "google",
         "review_date": cal.d(-3),
         "comment": "Good work but the crew left paint cans on the porch."},
    ]
    # fmt: on


def tasks(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"title": "Order paint for Smith Dental", "priority": "high", "due_date": cal.d(-1),
         "assignee": "Jake", "project_id": project("Smith Dental office interior")},
        {"title": "Send Henderson color samples", "priority": "medium", "due_date": cal.d(-4),
         "assignee": "Maya", "project_id": project("Henderson exterior repaint")},
        {"title": "Follow up with Priya Shah", "priority": "medium", "due_date": cal.d(2)},
        {"title": "Renew liability insurance", "priority": "urgent", "due_date": cal.d(12)},
        {"title": "Clean sprayer", "status": "done", "priority": "low", "due_date": cal.d(-6),
         "completed_at": cal.at(cal.day(-6), 17), "assignee": "Jake"},
        {"title": "Update website photos", "status": "in_progress", "priority": "low"},
        {"title": "Pressure-wash Henderson siding", "status": "done", "priority": "medium",
         "due_date": cal.d(-9), "completed_at": cal.at(cal.day(-9), 15), "assignee": "Luis",
         "project_id": project("Henderson exterior repaint")},
        {"title": "Scrape and sand Henderson trim", "status": "done", "priority": "medium",
         "due_date": cal.d(-7), "completed_at": cal.at(cal.day(-7), 16), "assignee": "Maya",
         "project_id": project("Henderson exterior repaint")},
        {"title": "Prime Henderson trim", "status": "done", "priority": "high",
         "due_date": cal.d(-3), "completed_at": cal.at(cal.day(-3), 16), "assignee": "Luis",
         "project_id": project("Henderson exterior repaint")},
        {"title": "Paint Henderson body", "status": "in_progress", "priority": "high",
         "due_date": cal.d(4), "assignee": "Luis",
         "project_id": project("Henderson exterior repaint")},
        {"title": "Patch Smith Dental drywall", "status": "done", "priority": "medium",
         "due_date": cal.d(-2), "completed_at": cal.at(cal.day(-2), 12), "assignee": "Jake",
         "project_id": project("Smith Dental office interior")},
    ]
    # fmt: on
