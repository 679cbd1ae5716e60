"""The style score on literal texts: topic words are masked, the classifier tells one writer's habits
from another's on texts it never saw, and the nearest-passage score and AUC on literals."""

import pytest

from train.eval import style

# An old-fashioned first-person narrator (long sentences, semicolons, "upon", "I had") ...
AUTHOR = [
    "I had called upon my friend one morning in the autumn, and found him deep in conversation with a stout gentleman; he waved me in.",
    "It was upon the evening of the third day that I returned, and I confess that I was weary; yet he would hear the whole of it.",
    "I had seen little of him of late, for my marriage had drifted us away from each other; but I knew that he was at work upon something.",
    "He was, I think, the most perfect reasoning machine that the world has seen; but as a lover he would have placed himself in a false position.",
    "I rang the bell and was shown up to the chamber which had formerly been in part my own; he was seated by the fire, and he did not rise.",
    "It was a cold morning of the early spring, and we sat after breakfast on either side of a cheery fire in the old room at Baker Street.",
    "I confess that I was surprised, for I had never known him to take an interest in such matters; and yet there he sat, with his eyes upon the letter.",
    "There was a long silence, during which he sat with his chin upon his hands; then he rose, and I saw that his face was grave.",
    "I had no keener pleasure than in following him in his professional investigations, and in admiring the rapid deductions with which he unravelled the problems.",
    "It was late in the evening when we reached the station; a fog had come down upon the town, and the lamps were but yellow smudges in it.",
    "I found him lounging upon the sofa in a purple dressing-gown, a pipe-rack within his reach, and a pile of crumpled papers near at hand.",
    "He took down a heavy brown volume from his shelves; I watched him as he turned the pages, and I could not but wonder what he sought.",
]
# ... and a modern assistant (short sentences, lists, "Here are", exclamation marks, second person).
ASSISTANT = [
    "Great question! Here are three key points:\n\n1. **Observation** is important.\n2. **Logic** helps you decide.\n3. Always check the facts.",
    "Sure! The story is about a detective. He solves a case. You can learn a lot from his methods!",
    "As an AI, I don't have personal experiences. However, I can explain the main idea: teamwork matters.",
    "Here's a summary:\n- The narrator visits a friend.\n- They talk about a case.\n- The friend agrees to help.",
    "Absolutely! There are many reasons. First, it is fun. Second, it is useful. Third, you learn new skills!",
    "In conclusion, the passage shows that details matter. By paying attention, you can solve problems in your daily life.",
    "Thank you for asking! The answer depends on context. Let me know if you want more details!",
    "Certainly! Here are some tips:\n1. Stay calm.\n2. Think clearly.\n3. Ask questions.",
    "It's important to remember that everyone is different. You should always do what feels right for you!",
    "Good point! The main character is smart. He notices things. He tells his friend what he found.",
]


def test_distortion_keeps_function_words_and_punctuation_and_masks_topic():
    assert style.distort("Holmes examined the letter; it was 1891.") == "* * the *; it was ####."
    assert style.distort("Watson opened the door; it was 1887.") == style.distort("Holmes examined the letter; it was 1891.")
    assert style.distort("I had   called\nupon him") == "i had * upon him"


def test_the_classifier_tells_the_author_from_the_assistant_on_texts_it_never_saw():
    predict = style.fit_classifier(AUTHOR[:9], ASSISTANT[:7])
    unseen_author, unseen_assistant = predict(AUTHOR[9:]), predict(ASSISTANT[7:])
    assert min(unseen_author) > max(unseen_assistant)
    assert predict([""]) == [0.0]


def test_topic_does_not_carry_the_score():
    predict = style.fit_classifier(AUTHOR[:9], ASSISTANT[:7])
    # the assistant's habits about the author's topic still score as the assistant ...
    on_topic = predict(["Sure! Holmes sat by the fire in Baker Street. He read the letter. You can see he was smart!"])[0]
    # ... and the author's habits about the assistant's topics still score as the author
    off_topic = predict(["I had called upon my teacher one morning in the spring, and found him deep in his lists; he waved me in."])[0]
    assert off_topic > 0.5 > on_topic


def test_cross_fitted_authorship_scores_each_base_answer_without_having_trained_on_it():
    passages, base = AUTHOR[8:], ASSISTANT[:4]
    result = style.authorship(AUTHOR[:8], passages, base, tuned=list(passages), folds=2)
    assert result.check_auc == 1.0 and result.tuned == result.passage
    assert min(result.passage) > max(result.base)
    with pytest.raises(ValueError, match="as many base and tuned answers"):
        style.authorship(AUTHOR[:8], passages, base[:3], passages)


def test_nearest_passage_score_is_highest_for_the_authors_own_words():
    reference = style.reference(AUTHOR[:10])
    own, other = style.score(reference, AUTHOR[10:]), style.score(reference, ASSISTANT[:2])
    assert min(own) > max(other) and style.score(reference, [" "]) == [0.0]
    itself = style.score(reference, AUTHOR[:1], k=1)[0]
    assert itself == pytest.approx(1.0) and style.score(reference, AUTHOR[:1], k=1, exclude=[0])[0] < 1.0


def test_auc_on_literals():
    assert style.auc([3, 4], [1, 2]) == 1.0 and style.auc([1, 2], [3, 4]) == 0.0
    assert style.auc([1, 3], [2, 2]) == 0.5 and style.auc([2], [2]) == 0.5
