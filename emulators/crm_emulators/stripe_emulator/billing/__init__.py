"""The billing engine: periods, invoices, payments, prorations, dunning and the scheduler
that runs them when time moves."""
