"""Infrastructure the domain uses: file storage, SMS, audit rows, spreadsheets, notifications."""
