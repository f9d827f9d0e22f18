-- One database per service: each service owns its data and talks to the others over REST.
CREATE DATABASE huimin_eligibility;
CREATE DATABASE huimin_premium;
CREATE DATABASE huimin_settlement;
