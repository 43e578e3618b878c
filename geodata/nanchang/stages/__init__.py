"""The stages of the dataset build (:mod:`geodata.nanchang.build`): common constants and geometry,
inputs, water, control units, red line and reserves, monitoring points, writing."""
