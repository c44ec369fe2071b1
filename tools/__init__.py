"""Development tools kept out of the product package: the synthetic county generator, its
planted faults and the scoreboard that measures reading and checks against them."""
