from .cli import run

# Guarded: processes started with "spawn" (the API's job process, uvicorn's workers) import
# the main module again, and must not run the command once more.
if __name__ == "__main__":
    run()
