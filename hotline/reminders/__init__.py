"""Follow-up reminders: schedules (data), enrollments and their due-set in Redis, and delivery planning."""
