"""The staff case screens under /cases/, one module per screen (cases/urls.py names them).

- `case`: the case page, actions posted on it, its attachments, the call-back and the case list;
- `intake`: phone intake for the mouth and the patrol report for the eyes;
- `dispatch`: who should handle a case, and dispatching or whistling;
- `tasks`: "my tasks" for the hands;
- `board`: the supervision board for the legs;
- `actions` and `common`: what the screens share (the action forms, one service call, filters).

A view checks who may open the screen, reads through cases.selectors (no query is written
here), calls at most one service, and renders.
"""
