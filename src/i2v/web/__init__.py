"""The web app: HTTP API and Gradio UI, thin shells over the job service, in one ASGI app."""
