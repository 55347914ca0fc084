"""Development tools the CLI, the benchmarks and the tests share: requests signed exactly as Twilio signs them
(`signed`), and a local fake of Twilio's REST API (`fake_twilio`). Nothing in production imports them."""
