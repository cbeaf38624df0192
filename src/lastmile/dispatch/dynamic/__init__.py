"""Dynamic dispatching in epochs (the EURO Meets NeurIPS 2022 dynamic VRPTW rules)."""
