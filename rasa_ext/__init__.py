"""Code that runs inside the Rasa server (Rasa 3.6 environment): policies and NLU components."""
