from synth.cli import main

# vLLM starts its workers with spawn: they re-import this module, and must not run the CLI again.
if __name__ == "__main__":
    main()
