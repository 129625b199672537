from hyperlint.cli import main

main()
